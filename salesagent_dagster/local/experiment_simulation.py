"""How often the experiment scoring names the right winner, and how often a wrong one.

Simulated outcomes over many seeded repetitions, decided by the code the product runs
(domain/experiment_scoring.py). Per sample size (sends per arm):

- power: one arm is truly better (6 % positive replies against 3 %): how often is it named?
- false-winner rate: both arms are the same (3 %): how often is either named?

Each is measured two ways: one look at the planned sample size, and the product's real
habit of looking again on every warehouse refresh (a look every `look_every` sends per arm
from the minimum sample on, stopping at the first winner), which is what inflates a
false-winner rate in practice. Harm stops likewise: how often an arm whose true unsubscribe
rate is under the bound is stopped, and how often one over it is.

`salesagent bench --experiments` prints the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from salesagent_dagster.domain.experiment_scoring import (
    ArmCounts,
    ScoringRule,
    harm_stop,
    name_winner,
)

BASE_RATE = 0.03
BETTER_RATE = 0.06
SAMPLE_SIZES = (1000, 1500, 2000, 3000)
REPETITIONS = 1000
LOOK_EVERY = 100
SEED = 14
HEADERS = (
    "sends/arm",
    "power (1 look)",
    "power (looks)",
    "false winner (1 look)",
    "false winner (looks)",
    "wrong arm named",
)


@dataclass(frozen=True)
class WinnerFigures:
    """Shares of repetitions: the better arm named, and a winner named between equals."""

    sends_per_arm: int
    power_one_look: float
    power_repeated_looks: float
    false_winner_one_look: float
    false_winner_repeated_looks: float
    wrong_arm_named: float  # the truly worse arm named, with repeated looks

    def row(self) -> tuple[object, ...]:
        return (
            self.sends_per_arm,
            f"{self.power_one_look:.3f}",
            f"{self.power_repeated_looks:.3f}",
            f"{self.false_winner_one_look:.3f}",
            f"{self.false_winner_repeated_looks:.3f}",
            f"{self.wrong_arm_named:.3f}",
        )


@dataclass(frozen=True)
class HarmFigures:
    sends_per_arm: int
    unsubscribe_rate: float
    stopped_share: float  # of repetitions, stopped at some look up to sends_per_arm


def winner_shares(
    rates: Sequence[float],
    rule: ScoringRule,
    sends_per_arm: int,
    *,
    repetitions: int = REPETITIONS,
    look_every: int | None = LOOK_EVERY,
    seed: int = SEED,
) -> dict[str | None, float]:
    """Share of repetitions in which each arm ("arm0", "arm1", ...) was named winner, and
    None: no winner by `sends_per_arm`. `look_every` None: one look at `sends_per_arm`;
    else a look every that many sends from the rule's minimum sample on."""
    rng = np.random.default_rng(seed)
    looks = _looks(rule, sends_per_arm, look_every)
    names = [f"arm{i}" for i in range(len(rates))]
    named: dict[str | None, int] = {name: 0 for name in [*names, None]}
    for _ in range(repetitions):
        # Positive replies per segment between looks, cumulated: one sequence per arm.
        segments = np.diff([0, *looks])
        positives = np.cumsum(rng.binomial(segments[:, None], rates), axis=0)
        winner = None
        for look, sends in enumerate(looks):
            counts = [
                ArmCounts(name, sends, int(positives[look, i])) for i, name in enumerate(names)
            ]
            winner = name_winner(rule, counts)
            if winner is not None:
                break
        named[winner] += 1
    return {name: count / repetitions for name, count in named.items()}


def winner_figures(
    rule: ScoringRule,
    sends_per_arm: int,
    *,
    repetitions: int = REPETITIONS,
    look_every: int = LOOK_EVERY,
    seed: int = SEED,
) -> WinnerFigures:
    better = (BASE_RATE, BETTER_RATE)
    equal = (BASE_RATE, BASE_RATE)

    def shares(rates: tuple[float, float], looks: int | None) -> dict[str | None, float]:
        return winner_shares(
            rates, rule, sends_per_arm, repetitions=repetitions, look_every=looks, seed=seed
        )

    power_one, power_many = shares(better, None), shares(better, look_every)
    null_one, null_many = shares(equal, None), shares(equal, look_every)
    return WinnerFigures(
        sends_per_arm=sends_per_arm,
        power_one_look=power_one["arm1"],
        power_repeated_looks=power_many["arm1"],
        false_winner_one_look=1 - null_one[None],
        false_winner_repeated_looks=1 - null_many[None],
        wrong_arm_named=power_many["arm0"],
    )


def harm_stop_share(
    unsubscribe_rate: float,
    rule: ScoringRule,
    sends_per_arm: int,
    *,
    repetitions: int = REPETITIONS,
    look_every: int = LOOK_EVERY,
    seed: int = SEED,
) -> float:
    """Share of repetitions in which an arm with this true unsubscribe rate is stopped at
    some look (every `look_every` sends from harm_min_sends on) up to `sends_per_arm`."""
    rng = np.random.default_rng(seed)
    looks = list(range(rule.harm_min_sends, sends_per_arm + 1, look_every))
    segments = np.diff([0, *looks])
    stopped = 0
    for _ in range(repetitions):
        unsubscribes = np.cumsum(rng.binomial(segments, unsubscribe_rate))
        for sends, events in zip(looks, unsubscribes, strict=True):
            arm = ArmCounts("arm", sends, 0, unsubscribes=int(events))
            if harm_stop(rule, arm) is not None:
                stopped += 1
                break
    return stopped / repetitions


def run_experiment_simulation(
    rule: ScoringRule | None = None,
    sample_sizes: Sequence[int] = SAMPLE_SIZES,
    repetitions: int = REPETITIONS,
) -> tuple[list[WinnerFigures], list[HarmFigures]]:
    """The bench's figures under `rule` (the scoring defaults when None)."""
    rule = rule or ScoringRule()
    winners = [
        winner_figures(rule, n, repetitions=repetitions)
        for n in sample_sizes
        if n >= rule.min_sends_per_arm
    ]
    horizon = max(sample_sizes)
    harm = [
        HarmFigures(horizon, rate, harm_stop_share(rate, rule, horizon, repetitions=repetitions))
        for rate in (rule.max_unsubscribe_rate / 2, rule.max_unsubscribe_rate * 2)
    ]
    return winners, harm


def describe_setup(rule: ScoringRule, repetitions: int) -> str:
    return (
        f"{repetitions} seeded repetitions per cell (seed {SEED}); positive-reply rates "
        f"{BETTER_RATE:.0%} vs {BASE_RATE:.0%} (power) and {BASE_RATE:.0%} vs {BASE_RATE:.0%} "
        f"(false winner); winner bar P(best) >= {rule.winner_probability}, minimum "
        f"{rule.min_sends_per_arm} sends per arm; 'looks': scored every {LOOK_EVERY} sends "
        "per arm from the minimum on, stopping at the first winner"
    )


def describe_harm(rule: ScoringRule, harm: Sequence[HarmFigures]) -> list[str]:
    return [
        f"harm stop (unsubscribe bound {rule.max_unsubscribe_rate:.1%}, P >= "
        f"{rule.harm_probability}, from {rule.harm_min_sends} sends, a look every "
        f"{LOOK_EVERY}): true rate {h.unsubscribe_rate:.1%} stopped in {h.stopped_share:.1%} "
        f"of runs by {h.sends_per_arm} sends"
        for h in harm
    ]


def _looks(rule: ScoringRule, sends_per_arm: int, look_every: int | None) -> list[int]:
    """Sends per arm at each look: the last one at `sends_per_arm`."""
    if look_every is None or sends_per_arm <= rule.min_sends_per_arm:
        return [sends_per_arm]
    looks = list(range(rule.min_sends_per_arm, sends_per_arm, look_every))
    return [*looks, sends_per_arm]

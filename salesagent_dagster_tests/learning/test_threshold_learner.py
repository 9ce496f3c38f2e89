"""The learner's rules on simulated outcomes: binomial draws of replies, negative replies and
unsubscribes for a week of auto-approved sends at known true rates, many weeks over.

Figures (seeded, so they are the same on every run; printed with `pytest -s`):
200 auto-approved sends a week (min_sample 50), 2,000 weeks per population."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from salesagent_dagster.domain.threshold_learner import (
    Direction,
    LearnerConfig,
    OutcomeFigures,
    effective_threshold,
    propose_threshold,
)

CONFIG = LearnerConfig(enabled=True, shadow=False)  # floor 0.80, ceiling 0.97, step 0.05
WEEKS = 2_000
SENDS = 200


@dataclass(frozen=True)
class Population:
    reply: float
    negative: float = 0.01
    unsubscribe: float = 0.005


def week(rng: np.random.Generator, population: Population, sends: int = SENDS) -> OutcomeFigures:
    """One week of outcomes. A reply is a human answer; negative ones are among them."""
    replies = int(rng.binomial(sends, population.reply))
    negative = int(rng.binomial(replies, min(1.0, population.negative / population.reply)))
    return OutcomeFigures(
        sends=sends,
        replies=replies,
        negative_replies=negative,
        unsubscribes=int(rng.binomial(sends, population.unsubscribe)),
    )


def directions(population: Population, *, seed: int, sends: int = SENDS) -> Counter[Direction]:
    rng = np.random.default_rng(seed)
    return Counter(
        propose_threshold(0.90, week(rng, population, sends), CONFIG).direction
        for _ in range(WEEKS)
    )


def share(counts: Counter[Direction], direction: Direction) -> float:
    return counts[direction] / sum(counts.values())


def report(name: str, counts: Counter[Direction]) -> None:
    print(f"\n{name}: " + ", ".join(f"{d.value} {share(counts, d):.1%}" for d in Direction))


def test_a_truly_low_reply_population_gets_the_threshold_raised():
    counts = directions(Population(reply=0.05), seed=1)
    report("true reply 5%", counts)
    assert share(counts, Direction.RAISE) >= 0.99


def test_a_truly_high_reply_population_gets_the_threshold_lowered():
    counts = directions(Population(reply=0.40), seed=2)
    report("true reply 40%", counts)
    assert share(counts, Direction.LOWER) >= 0.97
    assert share(counts, Direction.LOWER) < 1.0 or counts[Direction.RAISE] == 0


def test_a_population_in_the_band_is_left_alone():
    counts = directions(Population(reply=0.20), seed=3)
    report("true reply 20%", counts)
    assert share(counts, Direction.HOLD) >= 0.99


@pytest.mark.parametrize(
    "population",
    [
        Population(reply=0.40, unsubscribe=0.06),  # answers a lot, and a lot of it is "stop"
        Population(reply=0.40, negative=0.12),
        Population(reply=0.05, unsubscribe=0.06),
    ],
    ids=["unsubscribes", "negative-replies", "harmful-and-quiet"],
)
def test_a_harmful_population_gets_raised_whatever_its_reply_rate(population):
    counts = directions(population, seed=4)
    report(f"harmful {population}", counts)
    assert share(counts, Direction.RAISE) >= 0.95
    assert counts[Direction.LOWER] <= 0.05 * WEEKS


def test_a_small_sample_is_never_acted_on_however_extreme():
    for population in (Population(reply=0.01), Population(reply=0.9), Population(0.4, 0, 0.5)):
        counts = directions(population, seed=5, sends=CONFIG.min_sample - 1)
        assert counts == Counter({Direction.HOLD: WEEKS})


def test_over_many_weeks_the_threshold_stays_bounded_moves_one_step_and_settles_in_the_band():
    """Feedback: a higher threshold lets through fewer, better leads (reply rate rises from 5%
    at the floor to 35% at the ceiling), as a real rules engine would."""
    rng = np.random.default_rng(6)

    def truth(threshold: float) -> tuple[Population, int]:
        position = (threshold - CONFIG.floor) / (CONFIG.ceiling - CONFIG.floor)
        return Population(reply=0.05 + 0.30 * position), int(400 - 300 * position)

    threshold, path = CONFIG.floor, []
    for _ in range(300):
        population, sends = truth(threshold)
        proposal = propose_threshold(threshold, week(rng, population, sends), CONFIG)
        assert CONFIG.floor <= proposal.threshold <= CONFIG.ceiling
        assert abs(proposal.threshold - threshold) <= CONFIG.step + 1e-9
        threshold = proposal.threshold
        path.append(threshold)
    later = path[50:]
    in_band = [CONFIG.low_reply_rate <= truth(t)[0].reply <= CONFIG.high_reply_rate for t in later]
    print(
        f"\nthresholds visited after week 50: {sorted(set(later))}; weeks whose true reply "
        f"rate is in the band: {sum(in_band) / len(in_band):.0%}"
    )
    # It never returns to the bounds (5% and 35% true reply), and spends most weeks in the band
    # (0.95's true rate, 31.5%, is just over it: the learner steps back each time it gets there).
    assert CONFIG.floor not in later and CONFIG.ceiling not in later
    assert sum(in_band) / len(in_band) >= 0.6


def test_bounds_hold_however_long_a_population_pushes():
    rng = np.random.default_rng(7)
    for population, bound in ((Population(0.01), CONFIG.ceiling), (Population(0.9), CONFIG.floor)):
        threshold = 0.85
        for _ in range(50):
            threshold = propose_threshold(threshold, week(rng, population), CONFIG).threshold
        assert threshold == bound
        last = propose_threshold(threshold, week(rng, population), CONFIG)
        assert last.direction == Direction.HOLD and "already at the" in last.reason


def test_one_step_from_wherever_it_is_with_exact_decimals():
    raised = propose_threshold(0.85, OutcomeFigures(sends=100, replies=1), CONFIG)
    assert (raised.direction, raised.threshold) == (Direction.RAISE, 0.90)
    lowered = propose_threshold(0.90, OutcomeFigures(sends=100, replies=99), CONFIG)
    assert (lowered.direction, lowered.threshold) == (Direction.LOWER, 0.85)
    # Bounds narrowed since: the start is taken within them before stepping.
    assert propose_threshold(0.70, OutcomeFigures(100, 50), CONFIG).threshold == 0.80


def test_harm_wins_over_a_high_reply_rate_and_says_so():
    proposal = propose_threshold(
        0.90, OutcomeFigures(sends=100, replies=60, unsubscribes=3), CONFIG
    )
    assert proposal.direction == Direction.RAISE and proposal.threshold == 0.95
    assert "unsubscribe rate 3.0% > 2.0%" in proposal.reason


def test_the_effective_threshold_is_the_operators_then_the_live_learners_then_the_files():
    live, shadow, off = CONFIG, LearnerConfig(enabled=True), LearnerConfig()
    assert effective_threshold(0.85, 0.70, 0.95, live) == 0.70  # AUTO_APPROVE_THRESHOLD
    assert effective_threshold(0.85, None, 0.95, live) == 0.95
    assert effective_threshold(0.85, None, 0.95, shadow) == 0.85
    assert effective_threshold(0.85, None, 0.95, off) == 0.85
    assert effective_threshold(0.85, None, None, live) == 0.85
    assert effective_threshold(0.85, None, 0.99, live) == CONFIG.ceiling  # bounds narrowed

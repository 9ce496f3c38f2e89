"""Score an experiment's arms on positive replies, and stop an arm that harms.

Positive replies, not all replies: a raw reply rate rewards the arm that provokes "remove
me". Each arm's positive-reply rate gets a Beta-Binomial posterior from the uniform prior
Beta(1, 1): we have no prior data per arm, and on hundreds of sends any weak prior is
swamped anyway, while a flat one cannot favour an arm. Trials are sends (a bounced send is
a send that could not earn a reply: it counts against the arm, as it does in the mart).

A winner is named only when every arm still running has `min_sends_per_arm` sends and one
arm is the best with posterior probability at least `winner_probability`. P(best) is
numerical integration, P(arm i best) = integral of f_i(x) * prod_j F_j(x) dx, on a fine grid
over where the posteriors have their mass: deterministic (the same counts always give the
same answer) and fast enough for the simulation's many thousands of scorings, which Monte
Carlo over Beta draws was not. The 95 % interval is read off the same grid's CDF.

An arm is stopped when its unsubscribe or negative-reply rate is above its bound with
posterior probability at least `harm_probability`, judged from `harm_min_sends` sends on:
before that the flat prior alone says "probably above 2 %", which is no evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # numpy is imported by the functions that integrate: this module is loaded by every
    # process that reads the experiments (a lead's run worker assigns arms and never scores).
    import numpy as np

PRIOR_ALPHA = 1.0
PRIOR_BETA = 1.0
INTERVAL = 0.95
GRID_POINTS = 801  # per posterior, over 20 of its standard deviations: 40 points per sd
_SPAN_SDS = 10.0


@dataclass(frozen=True)
class ScoringRule:
    """When a winner may be named and when an arm is stopped for harm."""

    min_sends_per_arm: int = 1000
    winner_probability: float = 0.99
    max_unsubscribe_rate: float = 0.02
    max_negative_rate: float = 0.05
    harm_min_sends: int = 100
    harm_probability: float = 0.95

    def __post_init__(self) -> None:
        if self.min_sends_per_arm < 1 or self.harm_min_sends < 1:
            raise ValueError("min_sends_per_arm and harm_min_sends must be at least 1")
        for name in ("winner_probability", "harm_probability"):
            if not 0.5 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 0.5 and below 1")
        for name in ("max_unsubscribe_rate", "max_negative_rate"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} must be a rate above 0 and below 1")


@dataclass(frozen=True)
class ArmCounts:
    """One arm's outcomes (the variant_arms mart's row)."""

    arm: str
    sends: int
    positive_replies: int
    negative_replies: int = 0
    unsubscribes: int = 0
    bounces: int = 0

    def __post_init__(self) -> None:
        for name in ("positive_replies", "negative_replies", "unsubscribes", "bounces"):
            value = getattr(self, name)
            if not 0 <= value <= self.sends:
                raise ValueError(f"arm {self.arm}: {name} {value} is not within 0..{self.sends}")


@dataclass(frozen=True)
class ArmScore:
    arm: str
    sends: int
    positive_replies: int
    positive_rate: float | None  # None before the first send
    posterior_mean: float
    interval: tuple[float, float]  # 95 % credible interval of the positive-reply rate
    p_best: float | None  # among the arms still running; None for a stopped arm
    unsubscribe_rate: float | None
    negative_rate: float | None
    stopped: bool
    stop_reason: str = ""


@dataclass(frozen=True)
class HarmStop:
    """An arm this scoring stops: why, and the figures the decision rests on."""

    arm: str
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentScore:
    experiment: str
    arms: tuple[ArmScore, ...]
    winner: str | None
    verdict: str  # why there is a winner, or why not yet
    new_stops: tuple[HarmStop, ...] = ()


def score_arms(
    experiment: str,
    rule: ScoringRule,
    counts: Sequence[ArmCounts],
    stopped: Mapping[str, str] | None = None,
) -> ExperimentScore:
    """Score `counts` (one per arm) under `rule`; `stopped` maps arms stopped earlier to
    their reason. Arms newly over a harm bound are stopped here (`new_stops`)."""
    stopped = dict(stopped or {})
    new_stops = []
    for arm in counts:
        if arm.arm not in stopped:
            stop = harm_stop(rule, arm)
            if stop is not None:
                new_stops.append(stop)
                stopped[arm.arm] = stop.reason
    posteriors = {arm.arm: positive_posterior(arm) for arm in counts}
    grid = _grid(list(posteriors.values()))
    running = [arm for arm in counts if arm.arm not in stopped]
    p_best = probability_best({arm.arm: posteriors[arm.arm] for arm in running}, grid)
    scores = tuple(
        ArmScore(
            arm=arm.arm,
            sends=arm.sends,
            positive_replies=arm.positive_replies,
            positive_rate=_rate(arm.positive_replies, arm.sends),
            posterior_mean=posteriors[arm.arm][0] / sum(posteriors[arm.arm]),
            interval=credible_interval(*posteriors[arm.arm]),
            p_best=p_best.get(arm.arm),
            unsubscribe_rate=_rate(arm.unsubscribes, arm.sends),
            negative_rate=_rate(arm.negative_replies, arm.sends),
            stopped=arm.arm in stopped,
            stop_reason=stopped.get(arm.arm, ""),
        )
        for arm in counts
    )
    winner, verdict = _winner(rule, running, p_best)
    return ExperimentScore(experiment, scores, winner, verdict, tuple(new_stops))


def name_winner(rule: ScoringRule, counts: Sequence[ArmCounts]) -> str | None:
    """The winner `score_arms` would name among these running arms (no harm stops): the
    decision alone, for the simulation."""
    posteriors = {arm.arm: positive_posterior(arm) for arm in counts}
    p_best = probability_best(posteriors, _grid(list(posteriors.values())))
    return _winner(rule, counts, p_best)[0]


def positive_posterior(arm: ArmCounts) -> tuple[float, float]:
    """Beta(alpha, beta) of the arm's positive-reply rate."""
    return (
        PRIOR_ALPHA + arm.positive_replies,
        PRIOR_BETA + arm.sends - arm.positive_replies,
    )


def probability_best(
    posteriors: Mapping[str, tuple[float, float]], grid: np.ndarray | None = None
) -> dict[str, float]:
    """P(each arm has the highest rate) under independent Beta posteriors."""
    import numpy as np

    if not posteriors:
        return {}
    names = list(posteriors)
    if len(names) == 1:
        return {names[0]: 1.0}
    grid = _grid(list(posteriors.values())) if grid is None else grid
    densities = [_density(a, b, grid) for a, b in posteriors.values()]
    cdfs = [_cdf(density, grid) for density in densities]
    raw = []
    for i, density in enumerate(densities):
        others = np.prod([cdfs[j] for j in range(len(names)) if j != i], axis=0)
        raw.append(float(np.trapezoid(density * others, grid)))
    total = sum(raw)
    return {name: value / total for name, value in zip(names, raw, strict=True)}


def credible_interval(alpha: float, beta: float, level: float = INTERVAL) -> tuple[float, float]:
    """The central `level` interval of Beta(alpha, beta)."""
    import numpy as np

    grid = _grid([(alpha, beta)])
    cdf = _cdf(_density(alpha, beta, grid), grid)
    tail = (1 - level) / 2
    low, high = np.interp([tail, 1 - tail], cdf, grid)
    return float(low), float(high)


def _grid(posteriors: Sequence[tuple[float, float]]) -> np.ndarray:
    """Points over where each Beta posterior has its mass (10 sd either side of its mean),
    merged: a narrow posterior beside a wide one is still resolved finely."""
    import numpy as np

    parts = []
    for a, b in posteriors:
        mean = a / (a + b)
        sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        low = max(mean - _SPAN_SDS * sd, 1e-12)
        high = min(mean + _SPAN_SDS * sd, 1 - 1e-12)
        parts.append(np.linspace(low, high, GRID_POINTS))
    return np.unique(np.concatenate(parts))


def _density(a: float, b: float, grid: np.ndarray) -> np.ndarray:
    import numpy as np

    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return np.exp((a - 1) * np.log(grid) + (b - 1) * np.log1p(-grid) - log_beta)


def _cdf(density: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Cumulative trapezoid, scaled to end at 1 (the grid holds all but ~1e-20 of the mass)."""
    import numpy as np

    steps = (density[1:] + density[:-1]) / 2 * np.diff(grid)
    cumulative = np.concatenate(([0.0], np.cumsum(steps)))
    return cumulative / cumulative[-1] if cumulative[-1] > 0 else cumulative


def harm_stop(rule: ScoringRule, arm: ArmCounts) -> HarmStop | None:
    """The stop this arm has earned, or None: its unsubscribe or negative-reply rate is
    above the bound with posterior probability >= harm_probability (from harm_min_sends on)."""
    if arm.sends < rule.harm_min_sends:
        return None
    for what, events, bound in (
        ("unsubscribe", arm.unsubscribes, rule.max_unsubscribe_rate),
        ("negative-reply", arm.negative_replies, rule.max_negative_rate),
    ):
        probability = probability_rate_above(events, arm.sends, bound)
        if probability >= rule.harm_probability:
            return HarmStop(
                arm=arm.arm,
                reason=(
                    f"{what} rate above {bound:.1%} with probability {probability:.3f} "
                    f"({events} of {arm.sends} sends)"
                ),
                figures={
                    "sends": arm.sends,
                    "unsubscribes": arm.unsubscribes,
                    "negative_replies": arm.negative_replies,
                    "bound": bound,
                    "bound_on": what,
                    "probability_above": round(probability, 4),
                    "harm_probability": rule.harm_probability,
                },
            )
    return None


def probability_rate_above(events: int, trials: int, bound: float) -> float:
    """P(rate > bound) under the Beta(1 + events, 1 + trials - events) posterior, exactly.

    With integer parameters a, b the Beta CDF is a binomial tail: I_x(a, b) =
    P(Binomial(a + b - 1, x) >= a), so P(rate > x) = P(Binomial(trials + 1, x) <= events)."""
    import numpy as np

    n = trials + 1
    ks = np.arange(events + 1)
    log_factorial = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, n + 1)))))
    log_pmf = (
        log_factorial[n]
        - log_factorial[ks]
        - log_factorial[n - ks]
        + ks * np.log(bound)
        + (n - ks) * np.log1p(-bound)
    )
    return float(min(1.0, np.exp(log_pmf).sum()))


def _winner(
    rule: ScoringRule, running: Sequence[ArmCounts], p_best: Mapping[str, float]
) -> tuple[str | None, str]:
    if len(running) < 2:
        return None, "fewer than two arms still running: nothing left to compare"
    fewest = min(running, key=lambda arm: arm.sends)
    if fewest.sends < rule.min_sends_per_arm:
        return None, (
            f"collecting: every arm needs {rule.min_sends_per_arm} sends before a winner is "
            f"named ({fewest.arm} has {fewest.sends})"
        )
    best = max(running, key=lambda arm: p_best[arm.arm]).arm
    if p_best[best] >= rule.winner_probability:
        return best, (
            f"{best} is the best on positive replies with probability {p_best[best]:.3f} "
            f"(bar {rule.winner_probability})"
        )
    return None, (
        f"no winner: the likeliest best, {best}, is best with probability {p_best[best]:.3f}, "
        f"under the bar of {rule.winner_probability}"
    )


def _rate(events: int, sends: int) -> float | None:
    return events / sends if sends else None

"""The auto-approve threshold learner's rules: from last week's outcomes of auto-approved
sends to at most one bounded step of the threshold.

A reply rate under the low bound means the rules let through leads that do not answer:
raise the threshold (fewer auto-approvals). Over the high bound they answer well: lower it
(more auto-approvals). Harm (unsubscribes, negative replies) over its bound raises it
whatever the reply rate, because a high reply rate made of "stop emailing me" is no reason
to send more. Below the minimum sample nothing moves; a step never leaves [floor, ceiling].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

# Thresholds are compared with rule confidences written with two decimals: rounding keeps
# 0.85 + 0.05 from becoming 0.9000000000000001 and missing a 0.90 rule.
_DECIMALS = 4


class Direction(StrEnum):
    RAISE = "raise"
    LOWER = "lower"
    HOLD = "hold"


@dataclass(frozen=True)
class LearnerConfig:
    """The `[learner]` table of the rules file. Off by default; `shadow` (when enabled)
    records each week's proposal without applying it."""

    enabled: bool = False
    shadow: bool = True
    floor: float = 0.80
    ceiling: float = 0.97
    step: float = 0.05
    min_sample: int = 50
    low_reply_rate: float = 0.10
    high_reply_rate: float = 0.30
    max_unsubscribe_rate: float = 0.02
    max_negative_rate: float = 0.05
    window_days: int = 7

    def __post_init__(self) -> None:
        for name in (
            "floor",
            "ceiling",
            "low_reply_rate",
            "high_reply_rate",
            "max_unsubscribe_rate",
            "max_negative_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"learner {name} must be between 0 and 1, got {value}")
        if self.floor > self.ceiling:
            raise ValueError(
                f"learner floor {self.floor} is above its ceiling {self.ceiling}: "
                "the floor must be at most the ceiling"
            )
        if not 0.0 < self.step <= 0.5:
            raise ValueError(f"learner step must be above 0 and at most 0.5, got {self.step}")
        if self.low_reply_rate >= self.high_reply_rate:
            raise ValueError(
                f"learner low_reply_rate {self.low_reply_rate} must be below high_reply_rate "
                f"{self.high_reply_rate}"
            )
        if self.min_sample < 1:
            raise ValueError(f"learner min_sample must be at least 1, got {self.min_sample}")
        if not 1 <= self.window_days <= 365:
            raise ValueError(f"learner window_days must be 1 to 365, got {self.window_days}")

    @property
    def applies(self) -> bool:
        """Whether proposals change the threshold (enabled and not in its own shadow)."""
        return self.enabled and not self.shadow

    def bounded(self, threshold: float) -> float:
        return round(min(max(threshold, self.floor), self.ceiling), _DECIMALS)


@dataclass(frozen=True)
class OutcomeFigures:
    """What came back from the auto-approved sends of one window (delivered for real)."""

    sends: int
    replies: int = 0
    positive_replies: int = 0
    negative_replies: int = 0
    unsubscribes: int = 0
    bounces: int = 0

    def rate(self, count: int) -> float:
        return count / self.sends if self.sends else 0.0

    @property
    def reply_rate(self) -> float:
        return self.rate(self.replies)

    @property
    def negative_rate(self) -> float:
        return self.rate(self.negative_replies)

    @property
    def unsubscribe_rate(self) -> float:
        return self.rate(self.unsubscribes)

    def as_dict(self) -> dict[str, Any]:
        """Counts and rates, as the audit and the UI show them."""
        return {
            **asdict(self),
            "reply_rate": round(self.reply_rate, _DECIMALS),
            "negative_rate": round(self.negative_rate, _DECIMALS),
            "unsubscribe_rate": round(self.unsubscribe_rate, _DECIMALS),
        }


@dataclass(frozen=True)
class Proposal:
    previous: float
    threshold: float
    direction: Direction
    reason: str

    @property
    def changes(self) -> bool:
        return self.threshold != self.previous


def propose_threshold(current: float, figures: OutcomeFigures, config: LearnerConfig) -> Proposal:
    """At most one step from `current` (taken as bounded), with the reason in words."""
    start = config.bounded(current)
    rates = (
        f"reply rate {figures.reply_rate:.1%}, unsubscribe rate {figures.unsubscribe_rate:.1%}, "
        f"negative rate {figures.negative_rate:.1%} over {figures.sends} auto-approved sends"
    )
    if figures.sends < config.min_sample:
        return Proposal(
            start,
            start,
            Direction.HOLD,
            f"only {figures.sends} auto-approved sends in the last {config.window_days} days "
            f"(minimum {config.min_sample}): too few to learn from",
        )
    harms = []
    if figures.unsubscribe_rate > config.max_unsubscribe_rate:
        harms.append(
            f"unsubscribe rate {figures.unsubscribe_rate:.1%} > {config.max_unsubscribe_rate:.1%}"
        )
    if figures.negative_rate > config.max_negative_rate:
        harms.append(f"negative rate {figures.negative_rate:.1%} > {config.max_negative_rate:.1%}")
    if harms:
        return _step(start, +1, config, f"harm over its bound ({'; '.join(harms)}); {rates}")
    if figures.reply_rate < config.low_reply_rate:
        return _step(start, +1, config, f"reply rate under {config.low_reply_rate:.0%}: {rates}")
    if figures.reply_rate > config.high_reply_rate:
        return _step(start, -1, config, f"reply rate over {config.high_reply_rate:.0%}: {rates}")
    return Proposal(start, start, Direction.HOLD, f"within the target band: {rates}")


def _step(start: float, sign: int, config: LearnerConfig, why: str) -> Proposal:
    target = config.bounded(start + sign * config.step)
    if target == start:
        bound = "ceiling" if sign > 0 else "floor"
        return Proposal(start, start, Direction.HOLD, f"{why}; already at the {bound} {start:.2f}")
    direction = Direction.RAISE if sign > 0 else Direction.LOWER
    return Proposal(start, target, direction, f"{direction.value} to {target:.2f}: {why}")


def effective_threshold(
    file_threshold: float,
    env_threshold: float | None,
    learned: float | None,
    config: LearnerConfig,
) -> float:
    """The threshold the rules engine uses. An operator's AUTO_APPROVE_THRESHOLD wins (an
    explicit setting is never second-guessed); else the newest applied learned threshold,
    only while the learner applies (turning it off or to shadow returns to the file's at
    once) and kept within today's floor and ceiling; else the file's."""
    if env_threshold is not None:
        return env_threshold
    if learned is None or not config.applies:
        return file_threshold
    return config.bounded(learned)

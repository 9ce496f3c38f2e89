"""A circuit breaker per external service (DESIGN I-5): after repeated failures, stop calling
for a while so an outage pauses work instead of burning every lead's retries.

Pure state transitions; the state itself lives in the app DB because every run is its own
process and all of them must see the same breaker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class BreakerPosition(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerSettings:
    failure_threshold: int = 5
    open_for: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class BreakerState:
    position: BreakerPosition = BreakerPosition.CLOSED
    consecutive_failures: int = 0
    opened_at: datetime | None = None


@dataclass(frozen=True)
class Admission:
    allowed: bool
    state: BreakerState
    retry_in: timedelta | None = None


def admit(state: BreakerState, now: datetime, settings: BreakerSettings) -> Admission:
    """Closed: call. Open: wait, until the open period is over; then one probe (half-open)."""
    if state.position == BreakerPosition.CLOSED:
        return Admission(True, state)
    opened_at = state.opened_at or now
    if state.position == BreakerPosition.OPEN and now - opened_at >= settings.open_for:
        return Admission(True, replace(state, position=BreakerPosition.HALF_OPEN, opened_at=now))
    # Open, or half-open with a probe already out: wait for the probe's verdict.
    remaining = settings.open_for - (now - opened_at)
    return Admission(False, state, max(remaining, timedelta(seconds=1)))


def record_success(state: BreakerState) -> BreakerState:
    return BreakerState()


def record_failure(state: BreakerState, now: datetime, settings: BreakerSettings) -> BreakerState:
    failures = state.consecutive_failures + 1
    if state.position == BreakerPosition.HALF_OPEN or failures >= settings.failure_threshold:
        return BreakerState(BreakerPosition.OPEN, failures, now)
    return replace(state, consecutive_failures=failures)

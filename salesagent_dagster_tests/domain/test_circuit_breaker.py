from datetime import UTC, datetime, timedelta

from salesagent_dagster.domain.circuit_breaker import (
    BreakerPosition,
    BreakerSettings,
    BreakerState,
    admit,
    record_failure,
    record_success,
)

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = BreakerSettings()


CLOSED = BreakerState()


def failed(times: int, state: BreakerState = CLOSED) -> BreakerState:
    for _ in range(times):
        state = record_failure(state, T0, SETTINGS)
    return state


def test_five_failures_open_the_breaker():
    assert failed(4).position == BreakerPosition.CLOSED
    assert failed(5).position == BreakerPosition.OPEN
    refused = admit(failed(5), T0 + timedelta(seconds=10), SETTINGS)
    assert not refused.allowed
    assert refused.retry_in == timedelta(seconds=50)


def test_after_the_open_period_one_probe_goes_through():
    probe = admit(failed(5), T0 + timedelta(seconds=60), SETTINGS)
    assert probe.allowed and probe.state.position == BreakerPosition.HALF_OPEN
    second = admit(probe.state, T0 + timedelta(seconds=61), SETTINGS)
    assert not second.allowed


def test_probe_success_closes_and_probe_failure_reopens():
    probe = admit(failed(5), T0 + timedelta(seconds=60), SETTINGS).state
    assert record_success(probe) == BreakerState()
    reopened = record_failure(probe, T0 + timedelta(seconds=62), SETTINGS)
    assert reopened.position == BreakerPosition.OPEN
    assert reopened.opened_at == T0 + timedelta(seconds=62)


def test_a_success_resets_the_failure_count():
    assert record_success(failed(4)).consecutive_failures == 0

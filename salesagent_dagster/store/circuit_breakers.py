"""Circuit breaker state per external service, shared by every run worker (DESIGN I-5).

Reads and writes happen under a row lock (Postgres) or the write lock (SQLite), so two
workers cannot both take the single half-open probe.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from salesagent_dagster.domain.circuit_breaker import (
    Admission,
    BreakerPosition,
    BreakerSettings,
    BreakerState,
    admit,
    record_failure,
    record_success,
)
from salesagent_dagster.store.models import CircuitBreakerRow


def _locked_state(session: Session, service: str) -> CircuitBreakerRow:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(CircuitBreakerRow)
        .values(service=service, position=BreakerPosition.CLOSED, consecutive_failures=0)
        .on_conflict_do_nothing()
    )
    # A no-op write takes the lock before we read (SQLite's first write, Postgres' row lock).
    session.execute(
        update(CircuitBreakerRow)
        .where(CircuitBreakerRow.service == service)
        .values(position=CircuitBreakerRow.position)
    )
    row = session.get(CircuitBreakerRow, service, populate_existing=True)
    assert row is not None
    return row


def _state(row: CircuitBreakerRow) -> BreakerState:
    return BreakerState(BreakerPosition(row.position), row.consecutive_failures, row.opened_at)


def _store(row: CircuitBreakerRow, state: BreakerState) -> None:
    row.position = state.position
    row.consecutive_failures = state.consecutive_failures
    row.opened_at = state.opened_at


def request_admission(
    session: Session, service: str, now: datetime, settings: BreakerSettings
) -> Admission:
    row = _locked_state(session, service)
    admission = admit(_state(row), now, settings)
    _store(row, admission.state)
    return admission


def report(
    session: Session, service: str, succeeded: bool, now: datetime, settings: BreakerSettings
) -> BreakerState:
    row = _locked_state(session, service)
    state = record_success(_state(row)) if succeeded else record_failure(_state(row), now, settings)
    _store(row, state)
    return state


def current(session: Session, service: str) -> BreakerState:
    row = session.get(CircuitBreakerRow, service)
    return _state(row) if row else BreakerState()

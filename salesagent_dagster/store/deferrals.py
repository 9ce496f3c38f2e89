"""Leads held back by a send limit, and when to try them again (DESIGN I-2: deferred, not
dropped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import SendDeferral, utc_now

# The reason prefix of sends parked by the kill switch: due at once, resumed when it is off.
HELD_BY_KILL_SWITCH = "held"
# The reason prefix of approved first emails waiting out the undo window.
UNDO_WINDOW = "undo window"


def defer(
    session: Session, partition_key: str, reason: str, next_attempt_at: datetime
) -> SendDeferral:
    row = session.get(SendDeferral, partition_key)
    if row is None:
        row = SendDeferral(
            partition_key=partition_key, reason=reason, next_attempt_at=next_attempt_at
        )
        session.add(row)
    else:
        row.deferrals += 1
        row.reason, row.next_attempt_at = reason, next_attempt_at
    session.flush()
    return row


def due(session: Session, limit: int, now: datetime | None = None) -> Sequence[SendDeferral]:
    return session.scalars(
        select(SendDeferral)
        .where(SendDeferral.next_attempt_at <= (now or utc_now()))
        .order_by(SendDeferral.next_attempt_at)
        .limit(limit)
    ).all()


def get_deferral(session: Session, partition_key: str) -> SendDeferral | None:
    return session.get(SendDeferral, partition_key)


def lock(session: Session, partition_key: str) -> None:
    """Take the lead's deferral row lock for the rest of this transaction, if it has a row:
    a send's claim and an operator's hold both do, so on Postgres one waits for the other
    (SQLite has one writer anyway) and a hold never loses a race it reports as won."""
    session.execute(
        update(SendDeferral)
        .where(SendDeferral.partition_key == partition_key)
        .values(deferrals=SendDeferral.deferrals)
    )


def clear(session: Session, partition_key: str) -> None:
    session.execute(delete(SendDeferral).where(SendDeferral.partition_key == partition_key))


def count_waiting(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SendDeferral)) or 0


def held_by_kill_switch(session: Session) -> Sequence[SendDeferral]:
    return session.scalars(
        select(SendDeferral)
        .where(SendDeferral.reason.startswith(HELD_BY_KILL_SWITCH + ":"))
        .order_by(SendDeferral.first_deferred_at)
    ).all()

"""Built messages waiting for (or past) their send attempt, one per lead and step (0 is the
first email, 1.. the follow-ups)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import OutboxMessage


def get_outbox(session: Session, partition_key: str, step: int = 0) -> OutboxMessage | None:
    return session.get(OutboxMessage, (partition_key, step))


def put_outbox(session: Session, message: OutboxMessage) -> OutboxMessage:
    if message.step is None:  # the column default applies only on insert; merge needs the key
        message.step = 0
    return session.merge(message)


def add_if_absent(session: Session, message: OutboxMessage) -> OutboxMessage:
    """Store `message` unless its lead and step have one already; returns the stored one.
    Never overwrites: two runs composing the same step at once both send the first one's
    Message-ID, so the ledger and reconciliation always name the message that went."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {
        column.key: getattr(message, column.key)
        for column in OutboxMessage.__table__.columns
        if getattr(message, column.key) is not None
    }
    session.execute(insert(OutboxMessage).values(**values).on_conflict_do_nothing())
    stored = session.get(
        OutboxMessage, (message.partition_key, message.step), populate_existing=True
    )
    assert stored is not None
    return stored

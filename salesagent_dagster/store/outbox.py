"""Built messages waiting for (or past) their send attempt."""

from __future__ import annotations

from sqlalchemy.orm import Session

from salesagent_dagster.store.models import OutboxMessage


def get_outbox(session: Session, partition_key: str) -> OutboxMessage | None:
    return session.get(OutboxMessage, partition_key)


def put_outbox(session: Session, message: OutboxMessage) -> OutboxMessage:
    return session.merge(message)

"""The suppression list: hashes only, so it can outlive an erasure."""

from __future__ import annotations

from sqlalchemy.orm import Session

from salesagent_dagster.store.models import Suppression


def is_suppressed(session: Session, email_hash: str) -> bool:
    return session.get(Suppression, email_hash) is not None


def suppress(session: Session, email_hash: str, reason: str) -> None:
    if session.get(Suppression, email_hash) is None:
        session.add(Suppression(email_hash=email_hash, reason=reason))


def reason_for(session: Session, email_hash: str) -> str | None:
    """Why this person is suppressed (`unsubscribed`, `hard_bounce`, ...), None if not."""
    row = session.get(Suppression, email_hash)
    return row.reason if row is not None else None

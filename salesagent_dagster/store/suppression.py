"""The suppression list: hashes only, so it can outlive an erasure."""

from __future__ import annotations

from sqlalchemy.orm import Session

from salesagent_dagster.store.models import Suppression


def is_suppressed(session: Session, email_hash: str) -> bool:
    return session.get(Suppression, email_hash) is not None


def suppress(session: Session, email_hash: str, reason: str) -> None:
    if session.get(Suppression, email_hash) is None:
        session.add(Suppression(email_hash=email_hash, reason=reason))

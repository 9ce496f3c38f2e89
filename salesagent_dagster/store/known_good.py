"""Known-good recipients learned from the mailbox (a positive reply): salted hashes only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import KnownGoodRecipient


def is_known_good_hash(session: Session, email_hash: str) -> bool:
    return session.get(KnownGoodRecipient, email_hash) is not None


def add_known_good(session: Session, email_hash: str, source: str) -> bool:
    """Add the hash once; returns whether it was new."""
    if session.get(KnownGoodRecipient, email_hash) is not None:
        return False
    session.add(KnownGoodRecipient(email_hash=email_hash, source=source))
    session.flush()
    return True


def forget_known_good(session: Session, hashes: Sequence[str]) -> int:
    """Erasure: drop these hashes; returns how many rows went."""
    if not hashes:
        return 0
    result: Any = session.execute(
        delete(KnownGoodRecipient).where(KnownGoodRecipient.email_hash.in_(list(hashes)))
    )
    return int(result.rowcount or 0)

"""Which of our sends an incoming message answers: the send ledger read by Gmail thread, by
our Message-IDs, by recipient hash and by lead key, one query per lookup kind for a batch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from salesagent_dagster.store.models import SendLedgerEntry

_CHUNK = 500  # SQLite caps bound variables per statement


def by_thread(session: Session, mailbox: str, thread_ids: Iterable[str]) -> dict[str, str]:
    """Gmail thread id -> lead key, for our sends (or drafts) from `mailbox` in those threads.
    A thread that holds emails to more than one lead (a first email can join the person's
    own earlier thread) names none: a reply there must be matched by its Message-IDs."""
    keys_of: dict[str, set[str]] = {}
    for thread_id, key in _pairs(session, mailbox, SendLedgerEntry.gmail_thread_id, thread_ids):
        keys_of.setdefault(thread_id, set()).add(key)
    return {thread_id: keys.pop() for thread_id, keys in keys_of.items() if len(keys) == 1}


def by_message_id(session: Session, mailbox: str, message_ids: Iterable[str]) -> dict[str, str]:
    """Our Message-ID (with angle brackets) -> lead key."""
    return dict(_pairs(session, mailbox, SendLedgerEntry.message_id, message_ids))


def by_recipient_hash(session: Session, mailbox: str, hashes: Iterable[str]) -> dict[str, str]:
    """Recipient hash -> the latest lead key `mailbox` wrote to at that address."""
    found: dict[str, str] = {}
    wanted = list(dict.fromkeys(h for h in hashes if h))
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(SendLedgerEntry.recipient_hash, SendLedgerEntry.partition_key)
            .where(
                SendLedgerEntry.mailbox == mailbox,
                SendLedgerEntry.recipient_hash.in_(wanted[start : start + _CHUNK]),
            )
            .order_by(SendLedgerEntry.claimed_at, SendLedgerEntry.id)
        )
        found.update({str(h): str(k) for h, k in rows})  # the latest send wins
    return found


def recipient_hashes(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Lead key -> the hash of the address our send went to."""
    return dict(
        _pairs(session, None, SendLedgerEntry.partition_key, keys, SendLedgerEntry.recipient_hash)
    )


def sent_keys(session: Session, mailbox: str, keys: Iterable[str]) -> set[str]:
    """Which of these lead keys `mailbox` has a send (or draft) for."""
    return {key for key, _ in _pairs(session, mailbox, SendLedgerEntry.partition_key, keys)}


def _pairs(
    session: Session,
    mailbox: str | None,
    column: InstrumentedAttribute[Any],
    values: Iterable[str],
    value_column: InstrumentedAttribute[Any] = SendLedgerEntry.partition_key,
) -> list[tuple[str, str]]:
    wanted = list(dict.fromkeys(v for v in values if v))
    pairs: list[tuple[str, str]] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(column, value_column).where(column.in_(chunk))
        if mailbox is not None:
            query = query.where(SendLedgerEntry.mailbox == mailbox)
        pairs += [(str(a), str(b)) for a, b in session.execute(query)]
    return pairs

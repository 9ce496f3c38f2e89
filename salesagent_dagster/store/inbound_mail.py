"""Inbound mail records and their effects: the one place that reads and writes them.

Follow-ups read two answers from here: `stopping_engagement` (has the lead answered in a way
that ends the sequence?) and `next_step_not_before` (did an auto-reply say when they are back?).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import InboundMessage, ReplyEffect, utc_now

# Subject and body are capped: a 5 MB reply is recorded, not stored whole.
TEXT_CAP = 64 * 1024
SUBJECT_CAP = 998  # RFC 5322's line limit

# Kinds the classifier never produces: what we could not read, and our own mail.
UNREADABLE = "unreadable"
IGNORED = "ignored"
AUTO_REPLY = "auto_reply"
# Everything a lead's matched mail can be, except these, ends their follow-ups: a human reply
# of any class, an unsubscribe, a bounce, and mail we could not read (we cannot tell it is not
# a person answering, and writing again to someone who answered is the worse mistake).
_NOT_STOPPING = (AUTO_REPLY, IGNORED)


@dataclass(frozen=True)
class InboundRecord:
    """What a poll learned about one Gmail message, ready to store."""

    mailbox: str
    gmail_message_id: str
    gmail_thread_id: str | None
    partition_key: str | None
    rfc822_message_id: str | None
    kind: str
    reason: str
    return_on: date | None
    from_hash: str | None
    bounced_hash: str | None
    subject: str
    body_text: str
    received_at: datetime


def record_inbound(session: Session, record: InboundRecord) -> tuple[InboundMessage, bool]:
    """Store the message once per (mailbox, Gmail id); returns the row and whether it is new."""
    existing = session.scalar(
        select(InboundMessage).where(
            InboundMessage.mailbox == record.mailbox,
            InboundMessage.gmail_message_id == record.gmail_message_id,
        )
    )
    if existing is not None:
        return existing, False
    row = InboundMessage(
        mailbox=record.mailbox,
        gmail_message_id=record.gmail_message_id,
        gmail_thread_id=record.gmail_thread_id,
        partition_key=record.partition_key,
        rfc822_message_id=_cap(record.rfc822_message_id or "", SUBJECT_CAP) or None,
        kind=record.kind,
        reason=record.reason[:64],
        return_on=record.return_on,
        from_hash=record.from_hash,
        bounced_hash=record.bounced_hash,
        subject=_cap(record.subject, SUBJECT_CAP),
        body_text=_cap(record.body_text, TEXT_CAP),
        received_at=record.received_at,
    )
    session.add(row)
    session.flush()
    return row, True


def get_inbound(session: Session, inbound_id: int) -> InboundMessage | None:
    return session.get(InboundMessage, inbound_id)


def recorded_ids(session: Session, mailbox: str, gmail_ids: Iterable[str]) -> set[str]:
    """Which of these Gmail message ids this mailbox has recorded already."""
    wanted = list(dict.fromkeys(gmail_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # SQLite caps bound variables per statement
        found |= set(
            session.scalars(
                select(InboundMessage.gmail_message_id).where(
                    InboundMessage.mailbox == mailbox,
                    InboundMessage.gmail_message_id.in_(wanted[start : start + 500]),
                )
            )
        )
    return found


def stopping_engagement(session: Session, partition_key: str) -> InboundMessage | None:
    """The lead's first human reply, unsubscribe or bounce (or unreadable mail in their
    thread): anything that must stop follow-ups. None while only auto-replies came back."""
    return session.scalar(
        select(InboundMessage)
        .where(
            InboundMessage.partition_key == partition_key,
            InboundMessage.kind.not_in(_NOT_STOPPING),
        )
        .order_by(InboundMessage.received_at, InboundMessage.id)
        .limit(1)
    )


def next_step_not_before(session: Session, partition_key: str) -> date | None:
    """The return date of the lead's latest auto-reply (the date it named, or the configured
    delay after it when it named none); None when no auto-reply came back."""
    return session.scalar(
        select(InboundMessage.return_on)
        .where(
            InboundMessage.partition_key == partition_key,
            InboundMessage.kind == AUTO_REPLY,
            InboundMessage.return_on.is_not(None),
        )
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(1)
    )


def mark_effects_done(session: Session, inbound_id: int) -> None:
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.effects_done_at.is_(None))
        .values(effects_done_at=utc_now())
    )


def effect_of(session: Session, inbound_id: int, effect: str) -> ReplyEffect | None:
    return session.scalar(
        select(ReplyEffect).where(
            ReplyEffect.inbound_message_id == inbound_id, ReplyEffect.effect == effect
        )
    )


def start_effect(session: Session, inbound: InboundMessage, effect: str) -> ReplyEffect:
    """The effect's row, created on first use; `attempted_at` is stamped on every call, so an
    earlier stamp without an id or `done_at` says an attempt's outcome is unclear."""
    assert inbound.partition_key is not None, "effects belong to matched messages only"
    row = effect_of(session, inbound.id, effect)
    if row is None:
        row = ReplyEffect(
            inbound_message_id=inbound.id, partition_key=inbound.partition_key, effect=effect
        )
        session.add(row)
    row.attempted_at = utc_now()
    session.flush()
    return row


def finish_effect(session: Session, row: ReplyEffect, external_id: str | None = None) -> None:
    row.external_id = external_id or row.external_id
    row.done_at = utc_now()
    session.flush()


def delete_inbound_rows(session: Session, ids: Sequence[str | int]) -> int:
    """Delete these inbound messages and their effects; returns messages deleted."""
    wanted = [int(i) for i in ids]
    if not wanted:
        return 0
    session.execute(delete(ReplyEffect).where(ReplyEffect.inbound_message_id.in_(wanted)))
    result: Any = session.execute(delete(InboundMessage).where(InboundMessage.id.in_(wanted)))
    return int(result.rowcount or 0)


def _cap(text: str, limit: int) -> str:
    """At most `limit` characters a database takes: no NUL (Postgres refuses it), no lone
    surrogates (what undecodable bytes become; neither driver encodes them)."""
    text = text[:limit].replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


def awaiting_effects(session: Session, since: datetime, limit: int = 200) -> list[int]:
    """Matched messages recorded since `since` whose effects have not finished, oldest
    first: the listener asks for their runs again until Dagster holds one (run_key)."""
    return list(
        session.scalars(
            select(InboundMessage.id)
            .where(
                InboundMessage.partition_key.is_not(None),
                InboundMessage.kind != IGNORED,
                InboundMessage.effects_done_at.is_(None),
                InboundMessage.recorded_at >= since,
            )
            .order_by(InboundMessage.id)
            .limit(limit)
        )
    )


def partition_keys_of(session: Session, inbound_ids: Sequence[int]) -> dict[int, str]:
    """Inbound id -> the lead it answers, for matched messages among these."""
    rows = session.execute(
        select(InboundMessage.id, InboundMessage.partition_key).where(
            InboundMessage.id.in_(list(inbound_ids)), InboundMessage.partition_key.is_not(None)
        )
    )
    return {int(i): str(k) for i, k in rows}


def kinds_received(session: Session, partition_key: str) -> list[str]:
    """The classes of everything the lead sent back, oldest first."""
    return list(
        session.scalars(
            select(InboundMessage.kind)
            .where(InboundMessage.partition_key == partition_key)
            .order_by(InboundMessage.received_at, InboundMessage.id)
        )
    )

"""The send ledger: the record that makes "never twice" hold (DESIGN I-1, I-2).

A claim serialises on the mailbox's lock row, counts the windows, and inserts the lead's
ledger row in state `sending`, all in one transaction, before any Gmail call is made. A
lead has one row per step: 0 is the first email, 1.. the follow-ups (each with its own
Message-ID); the limits count every step, as each is an email to the contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from salesagent_dagster.domain.send_limits import SendLimits, SendVolume
from salesagent_dagster.store.models import SendLedgerEntry, SendLock, utc_now


class LedgerState(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    DRAFTED = "drafted"
    UNKNOWN = "unknown"
    FAILED_PERMANENT = "failed_permanent"


DONE_STATES = frozenset({LedgerState.SENT, LedgerState.DRAFTED})
UNCLEAR_STATES = frozenset({LedgerState.SENDING, LedgerState.UNKNOWN})
# Rows that reached (or may have reached) a recipient count against the limits.
_COUNTED_STATES = (LedgerState.SENT, LedgerState.SENDING, LedgerState.UNKNOWN)


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"  # new row in `sending`: call Gmail now
    ALREADY_DONE = "already_done"  # sent or drafted before: do nothing
    NEEDS_RECONCILE = "needs_reconcile"  # an earlier attempt's outcome is unclear
    FAILED_PERMANENT = "failed_permanent"  # an earlier attempt was refused for good
    DEFERRED = "deferred"  # over a limit: try again when the window allows
    PACED = "paced"  # the mailbox sent a moment ago: wait `wait_seconds`, then claim again


@dataclass(frozen=True)
class Claim:
    status: ClaimStatus
    entry: SendLedgerEntry | None
    volume: SendVolume | None = None
    wait_seconds: float = 0.0


def get_entry(session: Session, partition_key: str, step: int = 0) -> SendLedgerEntry | None:
    return session.scalar(
        select(SendLedgerEntry).where(
            SendLedgerEntry.partition_key == partition_key, SendLedgerEntry.step == step
        )
    )


def lock_mailbox(session: Session, mailbox: str) -> SendLock:
    """Take the mailbox's lock for the rest of this transaction (must be its first write)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(SendLock).values(mailbox=mailbox, claims=0).on_conflict_do_nothing())
    session.execute(
        update(SendLock).where(SendLock.mailbox == mailbox).values(claims=SendLock.claims + 1)
    )
    lock = session.get(SendLock, mailbox, populate_existing=True)
    assert lock is not None
    return lock


def send_volume(
    session: Session, mailbox: str, recipient_hash: str, limits: SendLimits, now: datetime
) -> SendVolume:
    """Real sends in the contact's window and the mailbox's last 24 hours."""
    counted = SendLedgerEntry.state.in_(_COUNTED_STATES) & (SendLedgerEntry.mode == "send")
    to_contact = session.scalar(
        select(func.count()).where(
            counted,
            SendLedgerEntry.recipient_hash == recipient_hash,
            SendLedgerEntry.claimed_at >= now - timedelta(days=limits.per_contact_window_days),
        )
    )
    from_mailbox = session.scalar(
        select(func.count()).where(
            counted,
            SendLedgerEntry.mailbox == mailbox,
            SendLedgerEntry.claimed_at >= now - timedelta(days=1),
        )
    )
    return SendVolume(to_contact_in_window=to_contact or 0, from_mailbox_today=from_mailbox or 0)


def window_reopens_at(
    session: Session, mailbox: str, recipient_hash: str, limits: SendLimits, now: datetime
) -> datetime:
    """When the full window(s) first have room again: the oldest counted send in each full
    window ages out of it."""
    counted = SendLedgerEntry.state.in_(_COUNTED_STATES) & (SendLedgerEntry.mode == "send")
    volume = send_volume(session, mailbox, recipient_hash, limits, now)
    reopen = [now]
    windows = []
    if volume.from_mailbox_today >= limits.per_mailbox_per_day:
        windows.append((SendLedgerEntry.mailbox == mailbox, timedelta(days=1)))
    if volume.to_contact_in_window >= limits.per_contact:
        window = timedelta(days=limits.per_contact_window_days)
        windows.append((SendLedgerEntry.recipient_hash == recipient_hash, window))
    for condition, length in windows:
        oldest = session.scalar(
            select(func.min(SendLedgerEntry.claimed_at)).where(
                counted, condition, SendLedgerEntry.claimed_at >= now - length
            )
        )
        if oldest is not None:
            reopen.append(oldest + length)
    return max(reopen)


def claim_send(
    session: Session,
    *,
    partition_key: str,
    mailbox: str,
    recipient_hash: str,
    message_id: str,
    draft_version: int,
    mode: str,
    limits: SendLimits,
    step: int = 0,
) -> Claim:
    """Decide, under the mailbox lock, whether this lead's email `step` may call Gmail now."""
    lock = lock_mailbox(session, mailbox)
    existing = get_entry(session, partition_key, step)
    if existing is not None:
        state = LedgerState(existing.state)
        if state in DONE_STATES:
            return Claim(ClaimStatus.ALREADY_DONE, existing)
        if state == LedgerState.FAILED_PERMANENT:
            return Claim(ClaimStatus.FAILED_PERMANENT, existing)
        return Claim(ClaimStatus.NEEDS_RECONCILE, existing)
    now = utc_now()
    volume = send_volume(session, mailbox, recipient_hash, limits, now)
    if mode == "send" and (
        volume.to_contact_in_window >= limits.per_contact
        or volume.from_mailbox_today >= limits.per_mailbox_per_day
    ):
        return Claim(ClaimStatus.DEFERRED, None, volume)
    if mode == "send":
        if lock.last_send_at is not None:
            wait = limits.seconds_between_sends - (now - lock.last_send_at).total_seconds()
            if wait > 0:
                return Claim(ClaimStatus.PACED, None, volume, wait_seconds=wait)
        lock.last_send_at = now
    entry = SendLedgerEntry(
        partition_key=partition_key,
        step=step,
        message_id=message_id,
        mailbox=mailbox,
        recipient_hash=recipient_hash,
        draft_version=draft_version,
        mode=mode,
        state=LedgerState.SENDING,
        attempts=1,
        claimed_at=now,
    )
    session.add(entry)
    session.flush()
    return Claim(ClaimStatus.CLAIMED, entry, volume)


def record_outcome(
    session: Session,
    partition_key: str,
    state: LedgerState,
    *,
    gmail_message_id: str | None = None,
    gmail_thread_id: str | None = None,
    gmail_draft_id: str | None = None,
    error: str | None = None,
    step: int = 0,
) -> SendLedgerEntry:
    entry = get_entry(session, partition_key, step)
    if entry is None:
        raise LookupError(f"no send ledger row for {partition_key} step {step}")
    entry.state = state
    entry.gmail_message_id = gmail_message_id or entry.gmail_message_id
    entry.gmail_thread_id = gmail_thread_id or entry.gmail_thread_id
    entry.gmail_draft_id = gmail_draft_id or entry.gmail_draft_id
    entry.last_error = error
    return entry


def mark_retry(session: Session, partition_key: str, step: int = 0) -> SendLedgerEntry:
    """Reconciliation found nothing in Gmail: the next attempt is allowed, and counted."""
    entry = get_entry(session, partition_key, step)
    if entry is None:
        raise LookupError(f"no send ledger row for {partition_key} step {step}")
    entry.state = LedgerState.SENDING
    entry.attempts += 1
    return entry


def follow_ups_delivered(session: Session, partition_key: str) -> int:
    """How many follow-up steps (step > 0) of the lead were sent or drafted."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(SendLedgerEntry)
            .where(
                SendLedgerEntry.partition_key == partition_key,
                SendLedgerEntry.step > 0,
                SendLedgerEntry.state.in_(tuple(DONE_STATES)),
            )
        )
        or 0
    )

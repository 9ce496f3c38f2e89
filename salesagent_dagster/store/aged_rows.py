"""Rows past a retention window: drafts, their bodies, built messages, inbound mail, audit
records.

Each function counts what its window covers and, unless `dry_run`, removes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import (
    AuditEvent,
    Draft,
    InboundMessage,
    OutboxMessage,
    SendLedgerEntry,
)
from salesagent_dagster.store.send_ledger import DONE_STATES, LedgerState

# A built message may be needed again only while its send outcome is open (DESIGN I-1).
_SETTLED_STATES = [state.value for state in (*DONE_STATES, LedgerState.FAILED_PERMANENT)]


def age_out_drafts(
    session: Session, *, draft_cutoff: datetime, body_cutoff: datetime, dry_run: bool
) -> dict[str, int]:
    """Delete drafts created before `draft_cutoff`; blank the bodies of drafts, and of built
    messages whose send is settled, created before `body_cutoff`."""
    old_drafts = Draft.created_at < draft_cutoff
    deleted = _cut(session, Draft, old_drafts, dry_run)
    old_bodies = (Draft.created_at < body_cutoff) & (Draft.body_text != "")
    blanked = _count(session, Draft, old_bodies)
    # Per step: a follow-up's message stays while that step's own outcome is open.
    settled = (
        select(SendLedgerEntry.id)
        .where(
            SendLedgerEntry.partition_key == OutboxMessage.partition_key,
            SendLedgerEntry.step == OutboxMessage.step,
            SendLedgerEntry.state.in_(_SETTLED_STATES),
        )
        .exists()
    )
    old_outbox = (OutboxMessage.built_at < body_cutoff) & (OutboxMessage.raw != "") & settled
    blanked_outbox = _count(session, OutboxMessage, old_outbox)
    if not dry_run:
        session.execute(update(Draft).where(old_bodies).values(body_text=""))
        session.execute(update(OutboxMessage).where(old_outbox).values(raw=""))
    return {
        "draft_rows_deleted": deleted,
        "draft_bodies_blanked": blanked,
        "outbox_bodies_blanked": blanked_outbox,
    }


def age_out_inbound_mail(
    session: Session, *, unmatched_cutoff: datetime, body_cutoff: datetime, dry_run: bool
) -> dict[str, int]:
    """Delete unmatched inbound mail received before `unmatched_cutoff` (a matched message
    goes with its lead); blank the subject and body of any received before `body_cutoff`,
    keeping the row (kind, reason, dates) that follow-ups and the record need."""
    old_unmatched = InboundMessage.partition_key.is_(None) & (
        InboundMessage.received_at < unmatched_cutoff
    )
    deleted = _cut(session, InboundMessage, old_unmatched, dry_run)
    old_text = (InboundMessage.received_at < body_cutoff) & (
        (InboundMessage.body_text != "") | (InboundMessage.subject != "")
    )
    blanked = _count(session, InboundMessage, old_text)
    if not dry_run:
        session.execute(update(InboundMessage).where(old_text).values(subject="", body_text=""))
    return {"inbound_unmatched_deleted": deleted, "inbound_bodies_blanked": blanked}


def cut_audit_events(session: Session, cutoff: datetime, dry_run: bool) -> int:
    """Audit records older than `cutoff`; returns how many (deleted unless `dry_run`)."""
    return _cut(session, AuditEvent, AuditEvent.at < cutoff, dry_run)


def _count(session: Session, model: Any, condition: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def _cut(session: Session, model: Any, condition: Any, dry_run: bool) -> int:
    count = _count(session, model, condition)
    if count and not dry_run:
        session.execute(delete(model).where(condition))
    return count

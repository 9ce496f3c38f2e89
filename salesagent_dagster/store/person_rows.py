"""A person's rows in the app DB: which leads are theirs, and what those leads left behind
outside their own rows (Gmail drafts, HubSpot engagements, submissions, audit records).

The person is named by the hashes and lower-cased spellings of their address that the
caller worked out; nothing here stores the address.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Text, cast, func, or_, select, update
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import (
    AuditEvent,
    HubSpotActivity,
    InboundMessage,
    Lead,
    SendLedgerEntry,
    Submission,
)


def partition_keys_matching(
    session: Session, hashes: Sequence[str], spellings: Sequence[str], address: str
) -> list[str]:
    """Leads whose hash is one of `hashes`, whose raw submission payload contains one of
    `spellings`, or whose `leads.email` is `address` (case-insensitive); sorted."""
    keys: set[str] = set()
    payload_text = func.lower(cast(Submission.payload, Text))
    keys |= set(
        session.scalars(
            select(Submission.partition_key).where(
                or_(
                    Submission.email_hash.in_(hashes),
                    *(payload_text.contains(s, autoescape=True) for s in spellings),
                )
            )
        )
    )
    keys |= set(
        session.scalars(
            select(Lead.partition_key).where(
                or_(Lead.email_hash.in_(hashes), func.lower(Lead.email) == address.strip().lower())
            )
        )
    )
    keys |= set(
        session.scalars(
            select(SendLedgerEntry.partition_key).where(SendLedgerEntry.recipient_hash.in_(hashes))
        )
    )
    return sorted(keys)


def gmail_drafts_of(session: Session, keys: Sequence[str]) -> list[tuple[str, str]]:
    """(mailbox, Gmail draft id) of the drafts these leads' sends created."""
    return [
        (row.mailbox, row.gmail_draft_id)
        for row in session.scalars(
            select(SendLedgerEntry).where(SendLedgerEntry.partition_key.in_(keys))
        )
        if row.gmail_draft_id and row.mode == "draft"
    ]


def hubspot_engagements_of(session: Session, keys: Sequence[str]) -> list[tuple[str, str]]:
    """(object kind, HubSpot id) of the email engagements and tasks logged for these leads."""
    return [
        (kind, object_id)
        for row in session.scalars(
            select(HubSpotActivity).where(HubSpotActivity.partition_key.in_(keys))
        )
        for kind, object_id in (("emails", row.email_engagement_id), ("tasks", row.task_id))
        if object_id
    ]


def submissions_of(session: Session, keys: Sequence[str]) -> list[Submission]:
    return list(session.scalars(select(Submission).where(Submission.partition_key.in_(keys))))


def audit_events_of(session: Session, keys: Sequence[str]) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.subject.in_(keys))))


def redact_audit_events(session: Session, keys: Sequence[str], details: dict[str, Any]) -> int:
    """Replace the free-text details of the audit records about these leads; returns how many."""
    if not keys:
        return 0
    result: Any = session.execute(
        update(AuditEvent).where(AuditEvent.subject.in_(keys)).values(details=details)
    )
    return int(result.rowcount or 0)


def inbound_message_ids_of(
    session: Session, hashes: Sequence[str], spellings: Sequence[str]
) -> list[int]:
    """Inbound mail from or about the person that no lead's rows cover (unmatched mail, or a
    colleague's mail quoting them): by sender or bounced-recipient hash, or holding one of
    `spellings` (lower-cased) in the subject or body."""
    texts = [func.lower(InboundMessage.subject), func.lower(InboundMessage.body_text)]
    condition = or_(
        InboundMessage.from_hash.in_(hashes),
        InboundMessage.bounced_hash.in_(hashes),
        *(text.contains(s, autoescape=True) for text in texts for s in spellings),
    )
    return list(session.scalars(select(InboundMessage.id).where(condition)))


def inbound_messages_by_id(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """These inbound messages as plain dicts (the export)."""
    table = InboundMessage.__table__
    return [
        dict(row._mapping)
        for row in session.execute(select(table).where(table.c.id.in_(list(ids))))
    ]

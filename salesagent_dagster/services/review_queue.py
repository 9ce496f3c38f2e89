"""The review queue as operators read it: who waits, since when, and what they need to choose.

A lead waits when its decision asks a person and no person has decided it, or when a review
returned it to review (a hold in the undo window: `salesagent review hold`, the desk's hold);
store.reviews.review_queue says which. The desk lists these entries; `salesagent review list`
and the metrics' queue depth read the same queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from salesagent_dagster.store import drafts, leads, reviews
from salesagent_dagster.store.models import utc_now


@dataclass(frozen=True)
class QueueEntry:
    """One waiting lead as the review desk lists it (the CLI's `review list` shows the same
    facts from its own rows)."""

    partition_key: str
    waiting_minutes: float
    overdue: bool
    icp_score: float
    confidence: float
    mailbox: str
    rules_fired: tuple[str, ...]
    failing: tuple[tuple[str, str], ...]  # (check, "rule: kind (where)")
    draft_version: int
    subject: str
    preview: str
    who: str  # the lead's name and company, for the operator's eyes only
    searchable: str
    held_by: str = ""  # who returned it to review with a hold ("": never reviewed yet)
    held_because: str = ""


def queue_entries(session: Session, sla_minutes: float) -> list[QueueEntry]:
    """The review queue, longest-waiting first, with what an operator needs to choose."""
    now = utc_now()
    entries = []
    for queued in reviews.review_queue(session):
        key, decision, hold = queued.partition_key, queued.decision, queued.returned_by
        draft = drafts.latest_draft(session, key)
        enrichment = leads.get_enrichment(session, key)
        lead = leads.get_lead(session, key)
        waiting = (now - queued.since).total_seconds() / 60
        failing = tuple(
            (row.check_name, f"{f['rule']}: {f['kind']} ({f['where']})")
            for row in drafts.safety_results_for(session, key, draft.version if draft else 0)
            if not row.passed
            for f in row.findings
        )
        subject, body = (draft.subject, draft.body_text) if draft else ("", "")
        who = (
            " ".join(part for part in [lead.first_name, lead.last_name, "·", lead.company] if part)
            if lead
            else ""
        )
        entries.append(
            QueueEntry(
                partition_key=key,
                waiting_minutes=waiting,
                overdue=waiting > sla_minutes,
                icp_score=enrichment.icp_score if enrichment else 0.0,
                confidence=decision.confidence,
                mailbox=enrichment.mailbox if enrichment else "",
                rules_fired=tuple(r["rule"] for r in decision.rules_fired),
                failing=failing,
                draft_version=draft.version if draft else 0,
                subject=subject,
                preview=" ".join(body.split())[:120],
                who=who,
                searchable=" ".join(
                    [key, subject, body, who, lead.email or "" if lead else ""]
                ).lower(),
                held_by=hold.reviewer if hold else "",
                held_because=hold.reason if hold else "",
            )
        )
    return entries


@dataclass(frozen=True)
class QueueFilter:
    mailbox: str = ""
    rule: str = ""  # a rule the decision fired
    failing_check: str = ""  # a check that failed; "none": only leads whose checks all pass
    min_age_minutes: float = 0.0
    search: str = ""


def filter_queue(entries: list[QueueEntry], wanted: QueueFilter) -> list[QueueEntry]:
    search = wanted.search.strip().lower()
    checks = {name for entry in entries for name, _ in entry.failing}
    return [
        entry
        for entry in entries
        if (not wanted.mailbox or entry.mailbox == wanted.mailbox)
        and (not wanted.rule or wanted.rule in entry.rules_fired)
        and (
            not wanted.failing_check
            or (wanted.failing_check == "none" and not entry.failing)
            or (
                wanted.failing_check in checks
                and any(name == wanted.failing_check for name, _ in entry.failing)
            )
        )
        and entry.waiting_minutes >= wanted.min_age_minutes
        and (not search or search in entry.searchable)
    ]

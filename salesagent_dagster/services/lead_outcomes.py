"""What happened to each lead: the outcomes `process --once` and the demo print per lead.

Only the opaque key and statuses: no address or name ever leaves through this table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from dagster import DagsterInstance
from sqlalchemy.orm import Session

from salesagent_dagster.domain.replies.engagement import NONE, engagement_of
from salesagent_dagster.store import (
    deferrals,
    drafts,
    inbound_mail,
    inbox,
    leads,
    reviews,
    send_ledger,
    submission_keys,
    suppression,
)
from salesagent_dagster.store.models import Lead


@dataclass(frozen=True)
class LeadOutcome:
    partition_key: str
    status: str  # rejected | disqualified | needs_review | blocked | held | sent | drafted | ...
    run_status: str
    decision: str
    confidence: float | None
    send_state: str
    reason: str
    engagement: str = NONE  # what came back (domain.replies.engagement)
    follow_ups_sent: int = 0  # follow-up steps sent, or drafted while real sends are off

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def submissions_since(session: Session, since: datetime) -> list[str]:
    return submission_keys.keys_received_since(session, since)


def lead_outcomes(
    session: Session,
    instance: DagsterInstance,
    partition_keys: Sequence[str],
    run_ids: dict[str, str],
) -> list[LeadOutcome]:
    outcomes = []
    for key in partition_keys:
        submission = inbox.get_submission(session, key)
        run_id = run_ids.get(key)
        run = instance.get_run_by_id(run_id) if run_id else None
        run_status = run.status.value if run else "-"
        if submission is not None and submission.status == "rejected":
            outcomes.append(
                LeadOutcome(
                    key, "rejected", run_status, "-", None, "-", submission.reject_reason or ""
                )
            )
            continue
        lead = leads.get_lead(session, key)
        decision = drafts.latest_decision(session, key)
        entry = send_ledger.get_entry(session, key)
        deferral = deferrals.get_deferral(session, key)
        if lead is None:
            status, reason = ("failed" if run_status == "FAILURE" else "pending"), ""
        elif not lead.qualified:
            status, reason = "disqualified", lead.status_reason
        elif entry is not None:
            status, reason = entry.state, decision.rationale if decision else ""
        elif deferral is not None and deferral.reason.startswith(deferrals.HELD_BY_KILL_SWITCH):
            status, reason = "held", deferral.reason
        elif deferral is not None:
            status = "deferred"
            reason = f"{deferral.reason}; next try {deferral.next_attempt_at:%Y-%m-%d %H:%M} UTC"
        elif reviews.is_rejected(session, key):
            status, reason = "operator_rejected", "rejected in review"
        elif decision is not None:
            status, reason = decision.outcome, decision.rationale
        else:
            status, reason = ("failed" if run_status == "FAILURE" else "pending"), ""
        outcomes.append(
            LeadOutcome(
                partition_key=key,
                status=status,
                run_status=run_status,
                decision=decision.outcome if decision else "-",
                confidence=decision.confidence if decision else None,
                send_state=f"{entry.state} ({entry.mode})" if entry else "-",
                reason=reason,
                engagement=_engagement(session, key, lead),
                follow_ups_sent=send_ledger.follow_ups_delivered(session, key),
            )
        )
    return outcomes


def _engagement(session: Session, key: str, lead: Lead | None) -> str:
    if lead is None:
        return NONE
    reason = suppression.reason_for(session, lead.email_hash) if lead.email_hash else None
    return engagement_of(inbound_mail.kinds_received(session, key), reason)

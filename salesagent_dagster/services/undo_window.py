"""The undo window (`SALESAGENT_SEND_DELAY_SECONDS`): an approved first email waits this
long after its approval before it is handed to Gmail, and meanwhile the kill switch, a
reviewer's reject or `salesagent review hold KEY` stops it.

Why a deferral and not a wait inside the run: a run sleeping through the window would hold
one of the few run slots (`max_concurrent_runs` is about the number of cores) and stall a
burst behind it. So the run ends with the send parked in `send_deferrals` until
`approved_at + delay`; the deferred-sends sensor re-runs `sent_email` then, and `deliver`
checks every gate again (DESIGN I-2), this window included. Nothing is claimed in the send
ledger before the window closes, so never-twice (I-1) is the ledger's, as without a window.

Follow-ups have no window: their first email was approved long before, and a reply, an
opt-out or a reject already stops them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from salesagent_dagster.domain.send_authorization import HOLD, RULES, Authorization
from salesagent_dagster.services.operators import shown_reviewer_kind
from salesagent_dagster.store import audit, deferrals, drafts, reviews, send_ledger
from salesagent_dagster.store.models import ReviewDecision, utc_now


def approved_at(session: Session, key: str, authorization: Authorization) -> datetime | None:
    """When the approval in force was given: the rules' decision, or the operator's review."""
    if authorization.authorized_by == RULES:
        decision = drafts.latest_decision(session, key)
        return decision.created_at if decision else None
    decided = reviews.reviews_for(session, key)
    return decided[-1].created_at if decided else None


def window_closes_at(
    session: Session,
    key: str,
    authorization: Authorization,
    delay_seconds: float,
    now: datetime | None = None,
) -> datetime | None:
    """When this lead's undo window closes, or None when it is closed (or there is none, or
    the email already claimed its ledger row: a re-run then finds it done, at once)."""
    if delay_seconds <= 0 or send_ledger.get_entry(session, key) is not None:
        return None
    start = approved_at(session, key, authorization)
    if start is None:
        return None
    closes = start + timedelta(seconds=delay_seconds)
    return closes if closes > (now or utc_now()) else None


def wait_out_window(session: Session, key: str, closes: datetime) -> str:
    """Park the first email until the window closes; the reason the run reports."""
    reason = f"{deferrals.UNDO_WINDOW}: goes to Gmail at {closes.isoformat()} unless stopped"
    row = deferrals.defer(session, key, reason, closes)
    audit.record(
        session,
        actor="agent",
        action="send_in_undo_window",
        subject=key,
        details={"next_attempt_at": closes.isoformat(), "deferrals": row.deferrals},
    )
    return reason


def still_authorized(session: Session, key: str, draft_version: int) -> bool:
    """Read again under the send's locks: an approval for this draft version still stands
    (no hold, no reject committed since the gate first looked)."""
    authorization = reviews.authorization_for(session, key)
    return authorization is not None and authorization.draft_version == draft_version


@dataclass(frozen=True)
class HoldResult:
    held: bool
    explanation: str


def hold(
    session: Session,
    key: str,
    reviewer: str,
    reason: str,
    reviewer_kind: str = "declared",
    identity_proof: str = "",
) -> HoldResult:
    """Stop lead `key`'s approved first email before it goes: recorded as the reviewer's
    decision (who, when, why: DESIGN I-8), it undoes the approval and returns the lead to the
    review queue until someone approves, edits or rejects it. Too late once the send has
    claimed its ledger row. The CLI and the desk both hold through here; how the reviewer is
    known (I-13) is recorded as far as it can be shown (`signed_in` with the desk's proof)."""
    if not reviewer.strip() or not reason.strip():
        return HoldResult(False, "a hold needs the reviewer's name and a reason")
    # First write of the transaction: waits for a claim of this lead's send under way.
    deferrals.lock(session, key)
    if send_ledger.get_entry(session, key) is not None:
        audit.record(
            session, actor=reviewer, action="review_hold_refused", subject=key,
            details={"why": "already sent or drafted"},
        )  # fmt: skip
        return HoldResult(False, "too late: the email was already sent or drafted")
    authorization = reviews.authorization_for(session, key)
    if authorization is None:
        return HoldResult(False, "nothing to hold: no approval allows this lead's email")
    reviews.record_review(
        session,
        ReviewDecision(
            partition_key=key,
            action=HOLD,
            reviewer=reviewer,
            reason=reason,
            draft_version=authorization.draft_version,
            overridden_rules=[],
            reviewer_kind=shown_reviewer_kind(
                session, key, reviewer, reviewer_kind, identity_proof
            ),
        ),
    )
    deferrals.clear(session, key)  # nothing is due any more: a new approval sends it
    return HoldResult(True, "held: it will not be sent unless approved again")


def waiting_in_window(session: Session, key: str) -> datetime | None:
    """When lead `key`'s approved first email goes to Gmail, while it waits out the undo
    window (the desk then offers a hold); None when it is not waiting in one."""
    row = deferrals.get_deferral(session, key)
    if row is None or not row.reason.startswith(deferrals.UNDO_WINDOW + ":"):
        return None
    return row.next_attempt_at

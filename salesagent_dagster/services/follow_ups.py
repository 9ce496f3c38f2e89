"""Follow-ups: release due steps, run one step through every gate, cancel a lead's steps.

A step is scheduled when the email before it is recorded as sent or drafted (delivery's
`_record`, one transaction with the ledger). When it is due, the sensor releases it and a
run calls `run_step`, which checks what only the follow-up has to check (the lead is still
approved, the emails before it were delivered, nobody answered, no auto-reply asked us to
wait), composes the message once, and hands it to the same `deliver` as the first email:
kill switch, real-sends flag, suppression, allow/deny lists, limits, ledger, reconciliation.

Draft mode (DESIGN I-3): a follow-up needs the emails before it `sent` or `drafted`. With
real sends off, nothing was sent, and the follow-up becomes a Gmail draft in the same thread
for the rep, who sends the drafts in order or not at all. A follow-up is sent for real only
when real sends are on *and* every email before it was sent by us: a lead whose first email
is still a draft never gets a real "following up" about a message they never received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.delivery import (
    Deferred,
    Delivered,
    Held,
    Log,
    NotApproved,
    Paced,
    Refused,
    deliver,
)
from salesagent_dagster.services.follow_up_email import compose_follow_up_message
from salesagent_dagster.services.mailboxes import gmail_for
from salesagent_dagster.store import audit, inbound_mail, outbox, reviews, send_ledger
from salesagent_dagster.store import follow_ups as schedule
from salesagent_dagster.store.follow_ups import FINAL_STATES, StepState
from salesagent_dagster.store.models import utc_now
from salesagent_dagster.store.send_ledger import DONE_STATES, LedgerState

MAX_RELEASED_PER_TICK = 50


@dataclass(frozen=True)
class ReleasedStep:
    partition_key: str
    step: int
    run_key: str


@dataclass(frozen=True)
class StepOutcome:
    """What became of one step in one run. `status`: sent | drafted | skipped | cancelled
    (final, a materialization) or held | deferred | waiting | paced (it comes back)."""

    status: str
    reason: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    wait_seconds: float = 0.0

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATES


def step_run_key(partition_key: str, step: int, releases: int) -> str:
    """`follow_up:<key>:<step>`: a step is requested once. A step parked by the kill switch
    or a full send window and released again gets `:<n>` for its n-th release."""
    base = f"follow_up:{partition_key}:{step}"
    return base if releases <= 1 else f"{base}:{releases}"


def release_due_steps(session: Session, limit: int = MAX_RELEASED_PER_TICK) -> list[ReleasedStep]:
    """Steps whose time has come, marked released; the sensor requests one run for each."""
    return [
        ReleasedStep(
            row.partition_key, row.step, step_run_key(row.partition_key, row.step, row.releases)
        )
        for row in schedule.release_due(session, limit)
    ]


def cancel_follow_ups(session: Session, partition_key: str, reason: str) -> int:
    """Cancel every pending step of the lead (opt-out, reply, rejection, erasure), recorded
    with `reason` (an event name, never a person's text); returns how many were cancelled."""
    cancelled = schedule.cancel_open(session, partition_key, reason)
    if cancelled:
        audit.record(
            session,
            actor="agent",
            action="follow_ups_cancelled",
            subject=partition_key,
            details={"reason": reason, "steps": cancelled},
        )
    return cancelled


def follow_up_gmail(app_store: AppStoreResource, gmail: GmailResource, key: str) -> GmailResource:
    """The mailbox that wrote the first email writes its follow-ups."""
    with app_store.session() as session:
        first = send_ledger.get_entry(session, key, 0)
        mailbox = first.mailbox if first else gmail.sender_email
    return gmail_for(mailbox, gmail, app_store)


def run_step(
    key: str,
    step: int,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
    log: Log,
) -> StepOutcome:
    """Send (or draft) follow-up `step` of lead `key` if everything still allows it, once.

    Raises what `deliver` raises (PermanentServiceError, UnclearSendOutcome) for the step's
    retry policy; every decision (skipped, cancelled, held, ...) is an outcome, not an error.
    """
    if step < 1:
        raise ValueError("follow-up steps start at 1 (step 0 is the first email)")
    with app_store.session() as session:
        row = schedule.get_step(session, key, step)
        if row is None:
            return StepOutcome(StepState.SKIPPED, "not scheduled")
        if row.state in FINAL_STATES:
            log.info(f"step {step} was {row.state} earlier; nothing to do")
            return StepOutcome(row.state, row.reason, _ledger_metadata(session, key, step))
        if row.due_at > utc_now():  # launched by hand before its time: the schedule stands
            return StepOutcome("waiting", f"not due before {row.due_at.isoformat()}")
        stopped = _stop_reason(session, key, step)
        if stopped is not None:
            state, reason = stopped
            schedule.finish(session, key, step, state, reason)
            if state == StepState.CANCELLED:
                cancel_follow_ups(session, key, reason)
            return StepOutcome(state, reason)
        back_on = inbound_mail.next_step_not_before(session, key)
        if back_on is not None and back_on > utc_now().date():
            until = datetime.combine(back_on, row.due_at.timetz())
            reason = f"auto-reply: back on {back_on.isoformat()}"
            schedule.park(session, key, step, until, reason)
            return StepOutcome("waiting", reason)
        earlier = [send_ledger.get_entry(session, key, s) for s in range(step)]
        draft_only = not all(e is not None and e.state == LedgerState.SENT for e in earlier)
        if not _composed(session, key, step, outreach, gmail):
            reason = "no template for this step, or the approved draft is gone"
            schedule.finish(session, key, step, StepState.SKIPPED, reason)
            return StepOutcome(StepState.SKIPPED, reason)
    outcome = deliver(key, app_store, gmail, outreach, log, step=step, draft_only=draft_only)
    return _settle(app_store, key, step, outcome)


def _stop_reason(session: Session, key: str, step: int) -> tuple[StepState, str] | None:
    """Why the step must not go, whatever the gate would say; None when it may try."""
    if reviews.authorization_for(session, key) is None:
        why = "rejected in review" if reviews.is_rejected(session, key) else "not approved"
        return StepState.CANCELLED, why
    first = send_ledger.get_entry(session, key, 0)
    if first is None or first.state not in DONE_STATES:
        return StepState.SKIPPED, "the first email was not sent or drafted"
    previous = send_ledger.get_entry(session, key, step - 1)
    if previous is None or previous.state not in DONE_STATES:
        return StepState.SKIPPED, f"step {step - 1} was not sent or drafted"
    answer = inbound_mail.stopping_engagement(session, key)
    if answer is not None:
        return StepState.CANCELLED, f"the lead answered: {answer.kind}"
    return None


def _composed(
    session: Session, key: str, step: int, outreach: OutreachSettings, gmail: GmailResource
) -> bool:
    """The step's message is in the outbox (composed now, or by an earlier attempt)."""
    if outbox.get_outbox(session, key, step) is not None:
        return True
    plan_step = outreach.follow_up_plan().step(step)
    if plan_step is None:
        return False
    message = compose_follow_up_message(
        session, key, plan_step, outreach, gmail.sender_email, gmail.sender_name
    )
    if message is None:
        return False
    outbox.add_if_absent(session, message)
    return True


def _settle(app_store: AppStoreResource, key: str, step: int, outcome: object) -> StepOutcome:
    """Record what the gate and Gmail said in the step's schedule."""
    with app_store.session() as session:
        match outcome:
            case Delivered(metadata=metadata):
                state = StepState(metadata["ledger_state"])
                schedule.finish(session, key, step, state)  # already, unless found done earlier
                return StepOutcome(state, "", metadata)
            case Held(reason=reason):
                schedule.park(session, key, step, utc_now(), f"held: {reason}")
                return StepOutcome("held", reason)
            case Deferred(until=until, reason=reason):
                schedule.park(session, key, step, until, reason)
                return StepOutcome("deferred", reason)
            case Paced(wait_seconds=wait):
                return StepOutcome("paced", "waiting to send or to reconcile", {}, wait)
            case Refused(findings=findings):
                reason = "refused at the gate: " + "; ".join(findings)
                schedule.finish(session, key, step, StepState.SKIPPED, reason)
                return StepOutcome(StepState.SKIPPED, reason)
            case NotApproved():
                reason = "no approval covers the lead's email"
                schedule.finish(session, key, step, StepState.CANCELLED, reason)
                return StepOutcome(StepState.CANCELLED, reason)
    raise TypeError(f"unknown delivery outcome {outcome!r}")


def _ledger_metadata(session: Session, key: str, step: int) -> dict[str, Any]:
    entry = send_ledger.get_entry(session, key, step)
    if entry is None:
        return {}
    return {
        "ledger_state": entry.state,
        "mode": entry.mode,
        "gmail_message_id": entry.gmail_message_id or "",
        "attempts": entry.attempts,
    }

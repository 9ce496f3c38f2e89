"""Send (or draft) one lead's email exactly once, with every gate checked at send time.

The order matters: gates first (kill switch, approval, recipient, content), then the
ledger claim that counts the limits under the mailbox lock, then the one Gmail call. An
earlier attempt whose outcome is unclear is looked up by Message-ID before anything else
is sent (DESIGN I-1, I-2).

Every email to a lead comes through here: the first (step 0) and each follow-up step, with
its own outbox message, ledger row and Message-ID, under the same gates and limits. The
transaction that records an email as sent or drafted schedules the follow-up after it.

No Dagster here: `deliver` says what happened as a `DeliveryOutcome`, and the op turns it
into metadata, an observation or a retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from salesagent_dagster.domain.follow_up_plan import FollowUpPlan
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.errors import PermanentServiceError, UnclearSendOutcome
from salesagent_dagster.resources.gmail import GmailMessageRef, GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services import undo_window
from salesagent_dagster.services.follow_up_email import follow_up_at_gate
from salesagent_dagster.services.outgoing_email import outgoing_email_for, safety_report_for
from salesagent_dagster.store import (
    audit,
    controls,
    deferrals,
    follow_ups,
    outbox,
    reviews,
    send_ledger,
)
from salesagent_dagster.store.models import SendLedgerEntry, utc_now
from salesagent_dagster.store.send_ledger import ClaimStatus, LedgerState


class Log(Protocol):
    """What `deliver` writes to: a Dagster step's `context.log`, or a `logging.Logger`."""

    def info(self, msg: str) -> object: ...

    def warning(self, msg: str) -> object: ...


@dataclass(frozen=True)
class Delivered:
    """Sent or drafted now, or earlier (found in the ledger or, after an unclear answer,
    in Gmail)."""

    metadata: dict[str, Any]


@dataclass(frozen=True)
class Held:
    """The kill switch is on: parked until it is off (the deferred-sends sensor resumes it)."""

    reason: str


@dataclass(frozen=True)
class Paced:
    """Try again in this long; it is no failure: the mailbox's next send slot (pacing), or an
    unclear earlier attempt that Gmail's search may not show yet (reconciliation)."""

    wait_seconds: float


@dataclass(frozen=True)
class Deferred:
    """Over a send limit, or in the undo window: parked until the window reopens (closes)."""

    until: datetime
    reason: str


@dataclass(frozen=True)
class Refused:
    """A rule the approval does not cover stopped the send at the gate."""

    findings: list[str]


@dataclass(frozen=True)
class NotApproved:
    """No approval covers the composed message (none, or for another draft version)."""


DeliveryOutcome = Delivered | Held | Paced | Deferred | Refused | NotApproved


class _KillSwitchFlipped(Exception):
    """Raised inside the claim's transaction so the claim is rolled back."""


class _ApprovalWithdrawn(Exception):
    """A hold or reject committed while the send was being claimed: the claim is rolled back."""


def deliver(
    key: str,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
    log: Log,
    step: int = 0,
    draft_only: bool = False,
) -> DeliveryOutcome:
    """Deliver lead `key`'s composed message `step` from `gmail`'s mailbox, if every gate
    allows; `draft_only` makes it a Gmail draft even when real sends are on.

    Raises PermanentServiceError when Gmail refused this message (now or earlier) and
    UnclearSendOutcome when nobody knows whether Gmail took it (the next attempt reconciles).
    """
    mode = "send" if outreach.allow_real_sends and not draft_only else "draft"
    # Read before any Gmail call: recording the outcome must not be able to fail after it.
    plan = outreach.follow_up_plan()
    if _kill_switch_on(app_store, outreach):
        return _hold(app_store, key, step, "kill switch is on")
    try:
        with app_store.session() as session:
            prepared = outbox.get_outbox(session, key, step)
            if prepared is None:
                raise LookupError(f"{key}: no composed message to send (step {step})")
            authorization = reviews.authorization_for(session, key)
            if authorization is None or authorization.draft_version != prepared.draft_version:
                _clear_deferral(session, key, step)
                return NotApproved()
            closes = (
                undo_window.window_closes_at(
                    session, key, authorization, outreach.send_delay_seconds
                )
                if step == 0
                else None
            )
            if closes is not None:
                return Deferred(closes, undo_window.wait_out_window(session, key, closes))
            lead_email = (
                outgoing_email_for(
                    session,
                    key,
                    outreach,
                    gmail.sender_email,
                    gmail.sender_name,
                    prepared.message_id,
                    prepared_raw=prepared.raw,
                )
                if step == 0
                else follow_up_at_gate(
                    session, key, outreach, gmail.sender_email, gmail.sender_name, prepared
                )
            )
            if lead_email is None:
                raise LookupError(f"{key}: lead or draft disappeared before sending")
            if lead_email.draft.version != prepared.draft_version:
                _clear_deferral(session, key, step)  # the stored message is not the current draft
                return NotApproved()
            report = safety_report_for(session, lead_email, outreach, gmail.sender_email)
            # A full window is no refusal: the claim below defers the send instead.
            refusals = [f.describe() for f in authorization.refusals(report.findings)]
            if refusals:
                audit.record(
                    session,
                    actor="agent",
                    action="send_refused_at_gate",
                    subject=key,
                    details={"findings": refusals, "step": step},
                )
                _clear_deferral(session, key, step)
                return Refused(refusals)
            claim = send_ledger.claim_send(
                session,
                partition_key=key,
                mailbox=gmail.sender_email,
                recipient_hash=lead_email.lead.email_hash or "",
                message_id=prepared.message_id,
                draft_version=prepared.draft_version,
                mode=mode,
                limits=outreach.send_limits(),
                step=step,
            )
            # Read again under the mailbox lock: a flip committed before this point stops
            # this send; the claim is rolled back with the exception.
            if claim.status == ClaimStatus.CLAIMED:
                if _kill_switch_on(app_store, outreach, session):
                    raise _KillSwitchFlipped
                if step == 0:  # and a hold or reject (the hold takes this row's lock too)
                    deferrals.lock(session, key)
                    if not undo_window.still_authorized(session, key, prepared.draft_version):
                        raise _ApprovalWithdrawn
    except _KillSwitchFlipped:
        return _hold(app_store, key, step, "kill switch turned on just before the send")
    except _ApprovalWithdrawn:
        return NotApproved()
    entry = claim.entry
    if claim.status == ClaimStatus.PACED:
        # Quota pacing is not a failure: wait for the mailbox's next send slot.
        return Paced(claim.wait_seconds)
    if claim.status == ClaimStatus.DEFERRED:
        return _defer(app_store, key, step, gmail, outreach, lead_email.lead.email_hash or "")
    assert entry is not None
    if claim.status == ClaimStatus.ALREADY_DONE:
        log.info(f"already {entry.state} earlier; not sending again")
        with app_store.session() as session:
            _clear_deferral(session, key, step)
        return _delivered(entry.state, entry.mode, entry.gmail_message_id, entry.attempts)
    if claim.status == ClaimStatus.FAILED_PERMANENT:
        raise PermanentServiceError("Gmail", f"an earlier attempt was refused: {entry.last_error}")
    if claim.status == ClaimStatus.NEEDS_RECONCILE:
        found = gmail.find_by_message_id(entry.message_id)
        if found is not None:
            state = _record(app_store, key, step, found, plan)
            log.info(f"reconciled: the earlier attempt reached Gmail ({state})")
            return _delivered(state, entry.mode, found.message_id, entry.attempts)
        unsettled = _seconds_until_settled(entry, outreach.reconcile_settle_seconds)
        if unsettled > 0:
            # Gmail's search lags a fresh message, and another run may still be mid-call:
            # "not found" this soon is no proof it never arrived. Look again later.
            log.info(f"not in Gmail yet; looking again in {unsettled:.0f} s before any resend")
            return Paced(unsettled)
        with app_store.session() as session:
            entry = send_ledger.mark_retry(session, key, step)
        log.info("reconciled: the earlier attempt never reached Gmail; trying again")
    return _call_gmail(
        log, app_store, gmail, plan, key, step, prepared.raw, entry.mode, entry.attempts,
        lead_email.thread_id,
    )  # fmt: skip


def _seconds_until_settled(entry: SendLedgerEntry, settle_seconds: float) -> float:
    """How long until a "not found" for this unclear attempt may be believed: the window
    runs from the attempt's last change (its claim, its unclear outcome, its retry)."""
    return settle_seconds - (utc_now() - entry.updated_at).total_seconds()


def _kill_switch_on(
    app_store: AppStoreResource, outreach: OutreachSettings, session: Session | None = None
) -> bool:
    forced = outreach.kill_switch_forced
    if session is not None:
        return controls.kill_switch_on(session, forced=forced, fresh=True)
    with app_store.session() as own_session:
        return controls.kill_switch_on(own_session, forced=forced)


def _hold(app_store: AppStoreResource, key: str, step: int, reason: str) -> Held:
    """Park the send, visibly: the deferred-sends sensor resumes it once the switch is off
    (a follow-up step is parked in its own schedule instead, by the caller). The run ends
    without spending a retry or a run slot while the switch stays on."""
    with app_store.session() as session:
        details: dict[str, Any] = {"reason": reason, "step": step}
        if step == 0:
            row = deferrals.defer(
                session, key, f"{deferrals.HELD_BY_KILL_SWITCH}: {reason}", utc_now()
            )
            details["holds"] = row.deferrals
        audit.record(session, actor="agent", action="send_held", subject=key, details=details)
    return Held(reason)


def _defer(
    app_store: AppStoreResource,
    key: str,
    step: int,
    gmail: GmailResource,
    outreach: OutreachSettings,
    recipient_hash: str,
) -> Deferred:
    """Over a limit: record when the window reopens; the deferred-sends sensor comes back."""
    limits = outreach.send_limits()
    with app_store.session() as session:
        now = utc_now()
        volume = send_ledger.send_volume(session, gmail.sender_email, recipient_hash, limits, now)
        reopens = send_ledger.window_reopens_at(
            session, gmail.sender_email, recipient_hash, limits, now
        )
        reason = (
            f"over a send limit: {volume.to_contact_in_window} to this contact in "
            f"{limits.per_contact_window_days} days (limit {limits.per_contact}), "
            f"{volume.from_mailbox_today} from the mailbox in 24 h "
            f"(limit {limits.per_mailbox_per_day})"
        )
        details: dict[str, Any] = {"next_attempt_at": reopens.isoformat(), "step": step}
        if step == 0:  # a follow-up step waits in its own schedule (the caller parks it)
            details["deferrals"] = deferrals.defer(session, key, reason, reopens).deferrals
        audit.record(session, actor="agent", action="send_deferred", subject=key, details=details)
    return Deferred(reopens, reason)


def _clear_deferral(session: Session, key: str, step: int) -> None:
    """The first email's deferral (held or over a limit) is settled; follow-ups have none."""
    if step == 0:
        deferrals.clear(session, key)


def _call_gmail(
    log: Log,
    app_store: AppStoreResource,
    gmail: GmailResource,
    plan: FollowUpPlan,
    key: str,
    step: int,
    raw: str,
    mode: str,
    attempts: int,
    thread_id: str | None,
) -> Delivered:
    try:
        if mode == "send":
            ref = gmail.send_raw(raw, thread_id)
        else:
            ref = gmail.create_draft(raw, thread_id)
    except UnclearSendOutcome as exc:
        with app_store.session() as session:
            send_ledger.record_outcome(session, key, LedgerState.UNKNOWN, error=str(exc), step=step)
        log.warning("send outcome unclear; the next attempt reconciles first")
        raise
    except PermanentServiceError as exc:
        with app_store.session() as session:
            send_ledger.record_outcome(
                session, key, LedgerState.FAILED_PERMANENT, error=str(exc), step=step
            )
        raise
    state = _record(app_store, key, step, ref, plan)
    return _delivered(state, mode, ref.message_id, attempts)


def _record(
    app_store: AppStoreResource,
    key: str,
    step: int,
    ref: GmailMessageRef,
    plan: FollowUpPlan,
) -> str:
    """The email reached Gmail: the ledger says so and, in the same transaction, the next
    follow-up step is scheduled (exactly once: a crash leaves neither or both)."""
    state = LedgerState.DRAFTED if ref.is_draft else LedgerState.SENT
    with app_store.session() as session:
        send_ledger.record_outcome(
            session,
            key,
            state,
            gmail_message_id=ref.message_id,
            gmail_thread_id=ref.thread_id,
            gmail_draft_id=ref.draft_id,
            step=step,
        )
        follow_ups.record_delivery(session, key, step, state.value, plan)
        _clear_deferral(session, key, step)
    return state.value


def _delivered(state: str, mode: str, gmail_message_id: str | None, attempts: int) -> Delivered:
    return Delivered(
        {
            "ledger_state": state,
            "mode": mode,
            "gmail_message_id": gmail_message_id or "",
            "attempts": attempts,
        }
    )

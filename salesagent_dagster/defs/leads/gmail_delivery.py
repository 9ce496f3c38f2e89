"""Send (or draft) one lead's email exactly once, with every gate checked at send time.

The order matters: gates first (kill switch, approval, recipient, content), then the
ledger claim that counts the limits under the mailbox lock, then the one Gmail call. An
earlier attempt whose outcome is unclear is looked up by Message-ID before anything else
is sent (DESIGN I-1, I-2).
"""

from __future__ import annotations

import random
from typing import Any

from dagster import AssetKey, AssetObservation, OpExecutionContext, RetryRequested
from sqlalchemy.orm import Session

from salesagent_dagster.defs.leads.outgoing_email import outgoing_email_for, safety_report_for
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.errors import PermanentServiceError, UnclearSendOutcome
from salesagent_dagster.resources.gmail import GmailMessageRef, GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.store import audit, controls, deferrals, outbox, reviews, send_ledger
from salesagent_dagster.store.models import utc_now
from salesagent_dagster.store.send_ledger import ClaimStatus, LedgerState

PACING_MAX_WAITS = 600
SENT_EMAIL_KEY = AssetKey("sent_email")


class _KillSwitchFlipped(Exception):
    """Raised inside the claim's transaction so the claim is rolled back."""


def deliver(
    context: OpExecutionContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> dict[str, Any] | None:
    """Metadata of the delivered (or earlier delivered) email, or None if a gate said no."""
    key = context.partition_key
    mode = "send" if outreach.allow_real_sends else "draft"
    if _kill_switch_on(app_store, outreach):
        _hold(context, app_store, "kill switch is on")
        return None
    try:
        with app_store.session() as session:
            prepared = outbox.get_outbox(session, key)
            if prepared is None:
                raise LookupError(f"{key}: no composed message to send")
            authorization = reviews.authorization_for(session, key)
            if authorization is None or authorization.draft_version != prepared.draft_version:
                context.log.warning("no approval covers this message; not sending")
                deferrals.clear(session, key)
                return None
            lead_email = outgoing_email_for(
                session, key, outreach, gmail.sender_email, gmail.sender_name, prepared.message_id
            )
            if lead_email is None:
                raise LookupError(f"{key}: lead or draft disappeared before sending")
            report = safety_report_for(session, lead_email, outreach, gmail.sender_email)
            refusals = [
                f.describe()
                for f in authorization.refusals(report.findings)
                if f.rule != "send_limit"  # a full window defers below; it refuses nothing
            ]
            if refusals:
                audit.record(
                    session,
                    actor="agent",
                    action="send_refused_at_gate",
                    subject=key,
                    details={"findings": refusals},
                )
                context.log.warning(f"send refused at the gate: {'; '.join(refusals)}")
                deferrals.clear(session, key)
                return None
            claim = send_ledger.claim_send(
                session,
                partition_key=key,
                mailbox=gmail.sender_email,
                recipient_hash=lead_email.lead.email_hash or "",
                message_id=prepared.message_id,
                draft_version=prepared.draft_version,
                mode=mode,
                limits=outreach.send_limits(),
            )
            # Read again under the mailbox lock: a flip committed before this point stops
            # this send; the claim is rolled back with the exception.
            if claim.status == ClaimStatus.CLAIMED and _kill_switch_on(
                app_store, outreach, session
            ):
                raise _KillSwitchFlipped
    except _KillSwitchFlipped:
        _hold(context, app_store, "kill switch turned on just before the send")
        return None
    entry = claim.entry
    if claim.status == ClaimStatus.PACED:
        # Quota pacing is not a failure: wait for the mailbox's next send slot.
        raise RetryRequested(
            max_retries=PACING_MAX_WAITS,
            seconds_to_wait=claim.wait_seconds + random.uniform(0, 0.5),  # noqa: S311
        )
    if claim.status == ClaimStatus.DEFERRED:
        _defer(context, app_store, gmail, outreach, lead_email.lead.email_hash or "")
        return None
    assert entry is not None
    if claim.status == ClaimStatus.ALREADY_DONE:
        context.log.info(f"already {entry.state} earlier; not sending again")
        _clear_deferral(app_store, key)
        return _metadata(entry.state, entry.mode, entry.gmail_message_id, entry.attempts)
    if claim.status == ClaimStatus.FAILED_PERMANENT:
        raise PermanentServiceError("Gmail", f"an earlier attempt was refused: {entry.last_error}")
    if claim.status == ClaimStatus.NEEDS_RECONCILE:
        found = gmail.find_by_message_id(entry.message_id)
        if found is not None:
            state = _record(app_store, key, found)
            context.log.info(f"reconciled: the earlier attempt reached Gmail ({state})")
            return _metadata(state, entry.mode, found.message_id, entry.attempts)
        with app_store.session() as session:
            entry = send_ledger.mark_retry(session, key)
        context.log.info("reconciled: the earlier attempt never reached Gmail; trying again")
    return _call_gmail(
        context, app_store, gmail, key, prepared.raw, entry.mode, entry.attempts,
        lead_email.thread_id,
    )  # fmt: skip


def _kill_switch_on(
    app_store: AppStoreResource, outreach: OutreachSettings, session: Session | None = None
) -> bool:
    forced = outreach.kill_switch_forced
    if session is not None:
        return controls.kill_switch_on(session, forced=forced, fresh=True)
    with app_store.session() as own_session:
        return controls.kill_switch_on(own_session, forced=forced)


def _hold(context: OpExecutionContext, app_store: AppStoreResource, reason: str) -> None:
    """Park the send, visibly: the deferred-sends sensor resumes it once the switch is off.
    The run ends without spending a retry or a run slot while the switch stays on."""
    key = context.partition_key
    with app_store.session() as session:
        row = deferrals.defer(session, key, f"{deferrals.HELD_BY_KILL_SWITCH}: {reason}", utc_now())
        audit.record(
            session, actor="agent", action="send_held", subject=key,
            details={"reason": reason, "holds": row.deferrals},
        )  # fmt: skip
    context.log_event(
        AssetObservation(
            asset_key=SENT_EMAIL_KEY,
            partition=key,
            metadata={"status": "held", "reason": reason},
        )
    )
    context.log.warning(f"send held: {reason}; it resumes when the kill switch is off")


def _defer(
    context: OpExecutionContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
    recipient_hash: str,
) -> None:
    """Over a limit: record when the window reopens; the deferred-sends sensor comes back."""
    key = context.partition_key
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
        row = deferrals.defer(session, key, reason, reopens)
        audit.record(
            session, actor="agent", action="send_deferred", subject=key,
            details={"next_attempt_at": reopens.isoformat(), "deferrals": row.deferrals},
        )  # fmt: skip
    context.log.warning(f"deferred until {reopens.isoformat()}: {reason}")


def _clear_deferral(app_store: AppStoreResource, key: str) -> None:
    with app_store.session() as session:
        deferrals.clear(session, key)


def _call_gmail(
    context: OpExecutionContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    key: str,
    raw: str,
    mode: str,
    attempts: int,
    thread_id: str | None,
) -> dict[str, Any]:
    try:
        if mode == "send":
            ref = gmail.send_raw(raw, thread_id)
        else:
            ref = gmail.create_draft(raw, thread_id)
    except UnclearSendOutcome as exc:
        with app_store.session() as session:
            send_ledger.record_outcome(session, key, LedgerState.UNKNOWN, error=str(exc))
        context.log.warning("send outcome unclear; the next attempt reconciles first")
        raise
    except PermanentServiceError as exc:
        with app_store.session() as session:
            send_ledger.record_outcome(session, key, LedgerState.FAILED_PERMANENT, error=str(exc))
        raise
    state = _record(app_store, key, ref)
    _clear_deferral(app_store, key)
    return _metadata(state, mode, ref.message_id, attempts)


def _record(app_store: AppStoreResource, key: str, ref: GmailMessageRef) -> str:
    state = LedgerState.DRAFTED if ref.is_draft else LedgerState.SENT
    with app_store.session() as session:
        send_ledger.record_outcome(
            session,
            key,
            state,
            gmail_message_id=ref.message_id,
            gmail_thread_id=ref.thread_id,
            gmail_draft_id=ref.draft_id,
        )
    return state.value


def _metadata(state: str, mode: str, gmail_message_id: str | None, attempts: int) -> dict[str, Any]:
    return {
        "ledger_state": state,
        "mode": mode,
        "gmail_message_id": gmail_message_id or "",
        "attempts": attempts,
    }

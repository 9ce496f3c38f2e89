"""Honouring an opt-out (DESIGN I-12): one use case behind every way a person says stop.

The one-click link (the edge), a mailto unsubscribe, a reply asking to stop and a hard
bounce (the mailbox listener) all come here. Locally, in one transaction: the address's
salted hash goes on the suppression list, every step still waiting to be sent to the lead
is cancelled, and the audit log says who and how. That commit is what makes "honoured
within a minute" true: the send-time gate reads the suppression list before every send.

A withdrawal of consent (not a bounce) is also passed on to HubSpot's communication
preferences, so HubSpot's own emails stop too. HubSpot may be down: the promise to pass it
on is written in the same transaction (`store.opt_outs`, an audit row), tried at once, and
kept until HubSpot has it; `sync_pending_hubspot_opt_outs` tries the rest again.

Every function here is idempotent: a repeat changes nothing and answers the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy.orm import Session

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.errors import ServiceError
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.services.follow_ups import cancel_follow_ups
from salesagent_dagster.store import audit, deferrals, leads, opt_outs, suppression

log = logging.getLogger(__name__)

OptOutSource = Literal["one_click", "mailto", "reply", "hard_bounce"]
HubSpotOptOut = Literal["done", "pending", "not_requested", "abandoned"]

# Suppression reasons (and the audit action recording them).
UNSUBSCRIBED = "unsubscribed"
HARD_BOUNCE = "hard_bounce"

# Stored in HubSpot with the opt-out: why, never who.
HUBSPOT_EXPLANATION = "The recipient asked us to stop emailing them ({source} opt-out)."


@dataclass(frozen=True)
class OptOutResult:
    """What holds for the lead after the call; the same on every repeat."""

    known: bool  # False: no such lead, or its address is gone (erased); nothing changed
    suppressed: bool  # the address is on the suppression list (it stays there)
    # done: HubSpot has the opt-out; pending: it is owed and will be tried again;
    # not_requested: nothing to pass on (a bounce, an unknown lead); abandoned: the lead
    # was erased before HubSpot could be told.
    hubspot: HubSpotOptOut


UNKNOWN = OptOutResult(known=False, suppressed=False, hubspot="not_requested")


def honour_opt_out(
    app_store: AppStoreResource,
    hubspot: HubSpotResource | None,
    partition_key: str,
    *,
    source: OptOutSource,
    actor: str,
    withdraws_consent: bool | None = None,
) -> OptOutResult:
    """Suppress the lead's address, cancel its pending steps, audit it, and (for a
    withdrawal of consent) pass the opt-out on to HubSpot.

    `withdraws_consent`: whether the person withdrew consent. Unset, every source but
    "hard_bounce" does; a bounce is no withdrawal, so it suppresses with reason
    `hard_bounce` and tells HubSpot nothing. `actor` is who acted, for the audit log
    ("recipient" for the person themselves, "mailbox" for a bounce the listener read).
    With `hubspot=None` the HubSpot part is only queued, for
    `push_hubspot_opt_out` or `sync_pending_hubspot_opt_outs` to carry out.
    """
    result = record_opt_out(
        app_store, partition_key, source=source, actor=actor, withdraws_consent=withdraws_consent
    )
    if hubspot is None or result.hubspot != "pending":
        return result
    pushed = push_hubspot_opt_out(app_store, hubspot, partition_key)
    return OptOutResult(known=result.known, suppressed=result.suppressed, hubspot=pushed)


def record_opt_out(
    app_store: AppStoreResource,
    partition_key: str,
    *,
    source: OptOutSource,
    actor: str,
    withdraws_consent: bool | None = None,
) -> OptOutResult:
    """The local part of `honour_opt_out`, committed when this returns (the edge answers
    after it and pushes to HubSpot after the answer)."""
    if source not in get_args(OptOutSource):
        raise ValueError(f"unknown opt-out source {source!r}; one of {get_args(OptOutSource)}")
    withdraws = source != "hard_bounce" if withdraws_consent is None else withdraws_consent
    reason = UNSUBSCRIBED if withdraws else HARD_BOUNCE
    with app_store.session() as session:
        lead = leads.get_lead(session, partition_key)
        if lead is None or not lead.email or not lead.email_hash:
            return UNKNOWN
        suppression.suppress(session, lead.email_hash, reason)
        cancelled = cancel_pending_steps(session, partition_key, reason)
        if not opt_outs.recorded(session, partition_key, reason):
            audit.record(
                session,
                actor=actor,
                action=reason,
                subject=partition_key,
                details={"source": source, "cancelled": cancelled},
            )
        if withdraws and not opt_outs.recorded(session, partition_key, opt_outs.PENDING):
            opt_outs.record_pending(session, partition_key, actor=actor, source=source)
        session.flush()  # the app DB's sessions do not autoflush: read what was just written
        return OptOutResult(
            known=True, suppressed=True, hubspot=_hubspot_state(session, partition_key)
        )


def cancel_pending_steps(session: Session, partition_key: str, reason: str) -> list[str]:
    """Stop everything still waiting to be sent to this lead; the names of what stopped.

    The one place an opt-out cancels steps: a first email parked by a send limit or the kill
    switch (its deferral would resume it; the gate would refuse it anyway, since it re-reads
    the suppression list) and every open follow-up step, which records `reason`
    (`unsubscribed` or `hard_bounce`).
    """
    cancelled = []
    if deferrals.get_deferral(session, partition_key) is not None:
        deferrals.clear(session, partition_key)
        cancelled.append("first_email")
    if cancel_follow_ups(session, partition_key, reason):
        cancelled.append("follow_ups")
    return cancelled


def push_hubspot_opt_out(
    app_store: AppStoreResource, hubspot: HubSpotResource, partition_key: str
) -> HubSpotOptOut:
    """Pass a queued opt-out on to HubSpot (every active subscription type) and close the
    promise. HubSpot failing leaves it pending: never raises a `ServiceError`."""
    with app_store.session() as session:
        if not opt_outs.is_pending(session, partition_key):
            return _hubspot_state(session, partition_key)
        lead = leads.get_lead(session, partition_key)
        email = lead.email if lead is not None else None
        if not email:
            opt_outs.settle(
                session, partition_key, opt_outs.ABANDONED, actor="agent",
                details={"why": "the lead's address is gone (erased or expired)"},
            )  # fmt: skip
            return "abandoned"
        source = opt_outs.pending_source(session, partition_key) or "an"
    try:
        report = hubspot.opt_out_of_email(email, HUBSPOT_EXPLANATION.format(source=source))
    except ServiceError as exc:
        log.warning("HubSpot opt-out for %s still pending: %s", partition_key, exc)
        return "pending"
    with app_store.session() as session:
        if opt_outs.is_pending(session, partition_key):  # another push may have won
            opt_outs.settle(
                session, partition_key, opt_outs.DONE, actor="agent",
                details={
                    "unsubscribed": report.unsubscribed,
                    "already": report.already,
                    "refused_subscriptions": list(report.refused),
                },
            )  # fmt: skip
    return "done"


PENDING_IN_A_ROW_STOP = 3


def sync_pending_hubspot_opt_outs(
    app_store: AppStoreResource, hubspot: HubSpotResource, limit: int = 100
) -> int:
    """Push opt-outs still owed to HubSpot, oldest first; how many HubSpot has now.

    Stops after PENDING_IN_A_ROW_STOP pushes in a row stay pending (HubSpot down or refusing
    our token: the rest would fail the same way, each after a timeout), but not at the first:
    one address HubSpot keeps refusing must not hold back the opt-outs queued behind it.
    For a sensor or schedule to call.
    """
    with app_store.session() as session:
        keys = opt_outs.pending_keys(session, limit)
    done = pending_in_a_row = 0
    for key in keys:
        outcome = push_hubspot_opt_out(app_store, hubspot, key)
        pending_in_a_row = pending_in_a_row + 1 if outcome == "pending" else 0
        if pending_in_a_row >= PENDING_IN_A_ROW_STOP:
            break
        done += outcome == "done"
    return done


def _hubspot_state(session: Session, partition_key: str) -> HubSpotOptOut:
    if opt_outs.is_pending(session, partition_key):
        return "pending"
    if opt_outs.recorded(session, partition_key, opt_outs.DONE):
        return "done"
    if opt_outs.recorded(session, partition_key, opt_outs.ABANDONED):
        return "abandoned"
    return "not_requested"

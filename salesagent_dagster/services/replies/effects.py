"""What a recorded reply changes, each effect once, under any retry or re-run.

By kind: an unsubscribe and a hard bounce are opt-outs (suppression and pending steps
cancelled, through services.opt_out); the person's mail goes on their HubSpot timeline as an
incoming email; the owner gets a task ("replied: positive", "bounced: hard", ...); a positive
reply from the lead's own address makes them a known-good recipient. Stopping or moving
follow-ups needs nothing here: they read `store.inbound_mail.stopping_engagement` and
`next_step_not_before`.

Each effect has a row (store `reply_effects`) written before it is carried out; a HubSpot
create whose answer was lost is looked up by its identifying properties before creating
again, as the first email's log does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from salesagent_dagster.domain.replies import ReplyKind
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.hubspot import HubSpotResource, hubspot_timestamp
from salesagent_dagster.services.opt_out import (
    UNSUBSCRIBED,
    OptOutSource,
    honour_opt_out,
    record_opt_out,
)
from salesagent_dagster.store import inbound_mail, known_good, leads, reply_matching, suppression
from salesagent_dagster.store.inbound_mail import UNREADABLE
from salesagent_dagster.store.models import InboundMessage

OPT_OUT, SUPPRESS_SENDER, HUBSPOT_EMAIL, HUBSPOT_TASK, KNOWN_GOOD = (
    "opt_out", "suppress_sender", "hubspot_email", "hubspot_task", "known_good",
)  # fmt: skip
# Local effects: one app-DB transaction does them and records them.
_LOCAL = (SUPPRESS_SENDER, KNOWN_GOOD)
POSITIVE_REPLY_SOURCE = "positive_reply"
_BOUNCES = {ReplyKind.BOUNCE_HARD.value, ReplyKind.BOUNCE_SOFT.value}


@dataclass
class EffectsReport:
    """Names and ids only: what the asset's metadata shows (DESIGN I-6)."""

    inbound_id: int
    partition_key: str
    kind: str
    reason: str
    done: list[str] = field(default_factory=list)  # carried out by this call
    already: list[str] = field(default_factory=list)  # carried out by an earlier attempt
    hubspot_ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Facts:
    row_id: int
    partition_key: str
    kind: str
    reason: str
    from_lead: bool
    from_hash: str | None
    contact_id: str | None
    owner_id: str | None
    subject: str
    body_text: str
    received_ms: str


def planned_effects(kind: str, *, from_lead: bool, has_contact: bool) -> list[str]:
    """Which effects a matched message of `kind` has.

    Only the lead opts the lead out: anyone who has seen a lead's key (it is in our mail
    and in Dagster's UI) could email `unsubscribe KEY`, so an unsubscribe from another
    address suppresses that address, the one that asked, and stops the lead's follow-ups
    (any human answer does) without suppressing the lead. A hard bounce comes from a mail
    system, never from the lead; matching accepts it only with our Message-ID or from a
    mailer-daemon (services.replies.matching)."""
    effects = []
    if kind == ReplyKind.BOUNCE_HARD or (kind == ReplyKind.UNSUBSCRIBE and from_lead):
        effects.append(OPT_OUT)
    elif kind == ReplyKind.UNSUBSCRIBE:
        effects.append(SUPPRESS_SENDER)
    if has_contact and kind not in _BOUNCES:
        effects.append(HUBSPOT_EMAIL)
    if has_contact and kind != ReplyKind.AUTO_REPLY:
        effects.append(HUBSPOT_TASK)
    if kind == ReplyKind.POSITIVE and from_lead:
        effects.append(KNOWN_GOOD)
    return effects


def apply_reply_effects(
    app_store: AppStoreResource,
    hubspot: HubSpotResource,
    inbound_id: int,
    partition_key: str | None = None,
) -> EffectsReport:
    """Carry out what this recorded message changes; a repeat does nothing again. Raises
    LookupError for an id that is not a matched message (of `partition_key`, when given);
    HubSpot errors propagate (the caller's retry policy decides), with every effect done so
    far kept."""
    facts = _facts(app_store, inbound_id)
    if partition_key is not None and facts.partition_key != partition_key:
        raise LookupError(f"inbound message {inbound_id} does not answer lead {partition_key}")
    report = EffectsReport(inbound_id, facts.partition_key, facts.kind, facts.reason)
    steps: dict[str, Callable[[], str | None]] = {
        OPT_OUT: lambda: _opt_out(app_store, hubspot, facts),
        HUBSPOT_EMAIL: lambda: _log_email(app_store, hubspot, facts),
        HUBSPOT_TASK: lambda: _create_task(app_store, hubspot, facts),
        SUPPRESS_SENDER: lambda: None,  # carried out inside `_run`'s transaction
        KNOWN_GOOD: lambda: None,  # carried out inside `_run`'s transaction
    }
    for effect in planned_effects(
        facts.kind, from_lead=facts.from_lead, has_contact=facts.contact_id is not None
    ):
        outcome = _run(app_store, facts, effect, steps[effect])
        (report.already if outcome.already else report.done).append(effect)
        if outcome.external_id and effect in (HUBSPOT_EMAIL, HUBSPOT_TASK):
            report.hubspot_ids[effect] = outcome.external_id
    with app_store.session() as session:
        inbound_mail.mark_effects_done(session, inbound_id)
    return report


@dataclass(frozen=True)
class _Outcome:
    already: bool
    external_id: str | None


def _run(
    app_store: AppStoreResource, facts: _Facts, effect: str, step: Callable[[], str | None]
) -> _Outcome:
    with app_store.session() as session:
        row = inbound_mail.effect_of(session, facts.row_id, effect)
        if row is not None and row.done_at is not None:
            return _Outcome(True, row.external_id)
        if effect in _LOCAL:  # one transaction does it and records it
            inbound = _inbound(session, facts.row_id)
            local = inbound_mail.start_effect(session, inbound, effect)
            if effect == KNOWN_GOOD:
                hashes = reply_matching.recipient_hashes(session, [facts.partition_key])
                known_good.add_known_good(
                    session, hashes[facts.partition_key], POSITIVE_REPLY_SOURCE
                )
            elif facts.from_hash:
                suppression.suppress(session, facts.from_hash, UNSUBSCRIBED)
            inbound_mail.finish_effect(session, local)
            return _Outcome(False, None)
    external_id = step()
    with app_store.session() as session:
        started = inbound_mail.effect_of(session, facts.row_id, effect)
        assert started is not None, "each step starts its effect before acting"
        inbound_mail.finish_effect(session, started, external_id)
    return _Outcome(False, external_id)


def _start(app_store: AppStoreResource, facts: _Facts, effect: str) -> tuple[bool, str | None]:
    """Stamp the attempt; (an earlier attempt's outcome is unclear, its id if known)."""
    with app_store.session() as session:
        row = inbound_mail.effect_of(session, facts.row_id, effect)
        unclear = row is not None and row.attempted_at is not None
        known = row.external_id if row is not None else None
        inbound_mail.start_effect(session, _inbound(session, facts.row_id), effect)
    return unclear, known


def suppress_at_once(app_store: AppStoreResource, inbound_id: int) -> bool:
    """The local half of an opt-out the mailbox brought (unsubscribe, hard bounce), done by
    the listener right after it records the message: the suppression must not wait for the
    handle_reply run, which may queue behind a burst of leads (DESIGN I-12: within a
    minute). HubSpot is told by that run. Whether this message was an opt-out."""
    facts = _facts(app_store, inbound_id)
    planned = planned_effects(facts.kind, from_lead=facts.from_lead, has_contact=False)
    if OPT_OUT in planned:
        source, actor = _opt_out_source(facts)
        record_opt_out(app_store, facts.partition_key, source=source, actor=actor)
        return True
    if SUPPRESS_SENDER in planned and facts.from_hash:
        with app_store.session() as session:
            suppression.suppress(session, facts.from_hash, UNSUBSCRIBED)
        return True
    return False


def _opt_out_source(facts: _Facts) -> tuple[OptOutSource, str]:
    """(source, actor) of an opt-out message, for the audit log."""
    if facts.kind == ReplyKind.BOUNCE_HARD:
        return "hard_bounce", "mailbox"
    source: OptOutSource = "mailto" if facts.reason == "mailto unsubscribe" else "reply"
    return source, "recipient" if facts.from_lead else "mailbox"


def _opt_out(app_store: AppStoreResource, hubspot: HubSpotResource, facts: _Facts) -> None:
    _start(app_store, facts, OPT_OUT)
    source, actor = _opt_out_source(facts)
    honour_opt_out(app_store, hubspot, facts.partition_key, source=source, actor=actor)


def _log_email(app_store: AppStoreResource, hubspot: HubSpotResource, facts: _Facts) -> str:
    email = {
        "hs_timestamp": facts.received_ms,
        "hs_email_subject": facts.subject or "(no subject)",
        "hs_email_text": facts.body_text,
        **({"hubspot_owner_id": facts.owner_id} if facts.owner_id else {}),
    }
    identity = {name: email[name] for name in ("hs_timestamp", "hs_email_subject")}
    return _create_once(
        app_store, facts, HUBSPOT_EMAIL,
        find=lambda: hubspot.find_engagement("emails", identity),
        create=lambda: hubspot.log_incoming_email(facts.contact_id or "", email),
    )  # fmt: skip


def task_subject(kind: str) -> str:
    if kind in _BOUNCES:
        return f"bounced: {kind.removeprefix('bounce_')}"
    return f"replied: {kind}"


def _create_task(app_store: AppStoreResource, hubspot: HubSpotResource, facts: _Facts) -> str:
    urgent = facts.kind in (ReplyKind.POSITIVE, ReplyKind.QUESTION, UNREADABLE)
    task = {
        "hs_timestamp": facts.received_ms,
        "hs_task_subject": task_subject(facts.kind),
        "hs_task_body": (
            f"Salesagent read this lead's mail as {facts.kind} (rule: {facts.reason}). "
            "The email is on the contact's timeline."
        ),
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": "HIGH" if urgent else "MEDIUM",
        "hs_task_type": "EMAIL",
        **({"hubspot_owner_id": facts.owner_id} if facts.owner_id else {}),
    }
    identity = {name: task[name] for name in ("hs_timestamp", "hs_task_subject")}
    return _create_once(
        app_store, facts, HUBSPOT_TASK,
        find=lambda: hubspot.find_engagement("tasks", identity),
        create=lambda: hubspot.create_task(facts.contact_id or "", task),
    )  # fmt: skip


def _create_once(
    app_store: AppStoreResource,
    facts: _Facts,
    effect: str,
    find: Callable[[], str | None],
    create: Callable[[], str],
) -> str:
    """At most one HubSpot object per effect: after an attempt whose answer never came
    (timeout, 5xx after HubSpot stored it, a crash), look it up before creating again."""
    unclear, known = _start(app_store, facts, effect)
    if known:
        return known
    return (find() if unclear else None) or create()


def _facts(app_store: AppStoreResource, inbound_id: int) -> _Facts:
    with app_store.session() as session:
        row = _inbound(session, inbound_id)
        key = row.partition_key
        assert key is not None  # _inbound refuses unmatched rows
        lead_hash = reply_matching.recipient_hashes(session, [key]).get(key)
        enriched = leads.get_enrichment(session, key)
        return _Facts(
            row_id=row.id,
            partition_key=key,
            kind=row.kind,
            reason=row.reason,
            from_lead=bool(lead_hash) and row.from_hash == lead_hash,
            from_hash=row.from_hash,
            contact_id=(enriched.hubspot_contact_id or None) if enriched else None,
            owner_id=(enriched.hubspot_owner_id or None) if enriched else None,
            subject=row.subject,
            body_text=row.body_text,
            received_ms=hubspot_timestamp(row.received_at),
        )


def _inbound(session: Session, inbound_id: int) -> InboundMessage:
    row = inbound_mail.get_inbound(session, inbound_id)
    if row is None or row.partition_key is None or row.kind == inbound_mail.IGNORED:
        raise LookupError(f"inbound message {inbound_id} is not a matched message of ours")
    return row

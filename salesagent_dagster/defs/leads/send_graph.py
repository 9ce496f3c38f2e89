"""`sent_email`: compose the MIME message, send it (or draft it), log it to HubSpot.

A graph of three ops so a failure shows exactly where it happened and a re-run resumes
from there. Ops hand nothing to each other but order: every fact lives in the app DB, and
the send ledger makes a repeated `send_via_gmail` harmless (DESIGN I-1). Each op is a thin
wrapper over a stage function the batch job (`lead_batch.py`) runs too.
"""

import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetObservation,
    DagsterLogManager,
    In,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    RetryRequested,
    graph_asset,
    op,
)

from salesagent_dagster.defs.failure_policy import (
    circuit_breakers_for,
    classified_failures,
    external_call_retry_policy,
)
from salesagent_dagster.defs.leads.draft_assets import send_decision
from salesagent_dagster.defs.leads.lead_assets import GROUP
from salesagent_dagster.defs.partitions import submissions_partitions
from salesagent_dagster.domain.mime_message import encode_for_gmail, new_message_id
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.hubspot import HubSpotResource, hubspot_timestamp
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.delivery import (
    Deferred,
    Delivered,
    DeliveryOutcome,
    Held,
    NotApproved,
    Paced,
    Refused,
    deliver,
)
from salesagent_dagster.services.mailboxes import lead_gmail, noting_revoked
from salesagent_dagster.services.outgoing_email import outgoing_email_for
from salesagent_dagster.store import (
    deferrals,
    drafts,
    hubspot_activity,
    leads,
    outbox,
    reviews,
    send_ledger,
)
from salesagent_dagster.store.models import OutboxMessage, utc_now

FOLLOW_UP_AFTER = timedelta(days=2)
PACING_MAX_WAITS = 600
SENT_EMAIL_KEY = AssetKey("sent_email")


@op(
    ins={"decided": In(Nothing), "reviewed": In(Nothing)},
    out=Out(Nothing, is_required=False),
    description="Build the MIME message for an approved draft; skip everything else.",
)
def compose_message(
    context: OpExecutionContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> Iterator[Output[None]]:
    if compose_lead_message(context.partition_key, context.log, app_store, gmail, outreach):
        yield Output(None)


def compose_lead_message(
    key: str,
    log: DagsterLogManager,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> bool:
    """Put the approved draft's MIME message in the outbox (once per draft version); False
    when there is nothing to send (not approved, or the draft changed since)."""
    with app_store.session() as session:
        authorization = reviews.authorization_for(session, key)
        if authorization is None:
            decision = drafts.latest_decision(session, key)
            outcome = decision.outcome if decision else "no decision"
            log.info(f"not approved for sending ({outcome}); nothing to send")
            deferrals.clear(session, key)  # a held or deferred send that lost its approval
            return False
        ledger_entry = send_ledger.get_entry(session, key)
        existing = outbox.get_outbox(session, key)
        if ledger_entry is None and (
            existing is None or existing.draft_version != authorization.draft_version
        ):
            rep_gmail = lead_gmail(app_store, gmail, key)  # only when there is something to compose
            message_id = new_message_id(rep_gmail.sender_email)
            lead_email = outgoing_email_for(
                session, key, outreach, rep_gmail.sender_email, rep_gmail.sender_name, message_id
            )
            if lead_email is None or lead_email.draft.version != authorization.draft_version:
                log.warning("the draft changed after it was approved; approve it again")
                return False
            outbox.put_outbox(
                session,
                OutboxMessage(
                    partition_key=key,
                    draft_version=lead_email.draft.version,
                    message_id=message_id,
                    raw=encode_for_gmail(lead_email.mime),
                ),
            )
    return True


@op(
    ins={"composed": In(Nothing)},
    out=Out(Nothing, is_required=False),
    retry_policy=external_call_retry_policy,
    # At most `pools.default_limit` (dagster.yaml) Gmail calls at once across all runs.
    pool="gmail_send",
    description="Gates at send time, ledger claim, then Gmail send (or draft), exactly once.",
)
def send_via_gmail(
    context: OpExecutionContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> Iterator[Output[None]]:
    metadata = send_lead_message(context, context.partition_key, app_store, gmail, outreach)
    if metadata is not None:
        yield Output(None, metadata=metadata)


def send_lead_message(
    context: OpExecutionContext | AssetExecutionContext,
    key: str,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> dict[str, Any] | None:
    """Gates, ledger claim and the Gmail call; the delivery's metadata, or None when it did
    not go now (held, deferred, refused). Raises what the step's retry policy acts on."""
    with classified_failures(), circuit_breakers_for(app_store, "Gmail"):
        rep_gmail = lead_gmail(app_store, gmail, key)
        with noting_revoked(app_store, rep_gmail.sender_email):
            outcome = deliver(key, app_store, rep_gmail, outreach, context.log)
        return _report_delivery(context, key, outcome)


def _report_delivery(
    context: OpExecutionContext | AssetExecutionContext, key: str, outcome: DeliveryOutcome
) -> dict[str, Any] | None:
    """The step's metadata when delivered; otherwise the log, observation or retry that says
    why not. Raised inside the breaker's block, as a wait is not a Gmail success."""
    match outcome:
        case Delivered(metadata=metadata):
            return metadata
        case Paced(wait_seconds=wait):
            # Not a failure: wait for the mailbox's next send slot, or for Gmail's search to
            # show an unclear earlier attempt before anything is sent again.
            raise RetryRequested(
                max_retries=PACING_MAX_WAITS,
                seconds_to_wait=wait + random.uniform(0, 0.5),  # noqa: S311
            )
        case Held(reason=reason):
            context.log_event(
                AssetObservation(
                    asset_key=SENT_EMAIL_KEY,
                    partition=key,
                    metadata={"status": "held", "reason": reason},
                )
            )
            context.log.warning(f"send held: {reason}; it resumes when the kill switch is off")
        case Deferred(until=until, reason=reason):
            context.log.warning(f"deferred until {until.isoformat()}: {reason}")
        case Refused(findings=findings):
            context.log.warning(f"send refused at the gate: {'; '.join(findings)}")
        case NotApproved():
            context.log.warning("no approval covers this message; not sending")
    return None


@op(
    ins={"delivered": In(Nothing)},
    out=Out(Nothing),
    retry_policy=external_call_retry_policy,
    description="Email engagement, follow-up task and lead status in HubSpot, once each.",
)
def log_to_hubspot(
    context: OpExecutionContext,
    app_store: AppStoreResource,
    hubspot: HubSpotResource,
    gmail: GmailResource,
) -> Iterator[Output[None]]:
    yield Output(None, metadata=log_lead_to_hubspot(context.partition_key, app_store, hubspot))


def log_lead_to_hubspot(
    key: str, app_store: AppStoreResource, hubspot: HubSpotResource
) -> dict[str, Any]:
    """The email, the follow-up task and the lead status in HubSpot, each once; the
    `sent_email` metadata."""
    with app_store.session() as session:
        entry = send_ledger.get_entry(session, key)
        enriched = leads.get_enrichment(session, key)
        lead_row = leads.get_lead(session, key)
        current = drafts.latest_draft(session, key)
    if entry is None or enriched is None or lead_row is None or current is None:
        raise LookupError(f"{key}: nothing delivered to log")
    contact_id = enriched.hubspot_contact_id or ""
    sent = entry.state == send_ledger.LedgerState.SENT
    with classified_failures(), circuit_breakers_for(app_store, "HubSpot"):
        owner_id = enriched.hubspot_owner_id or hubspot.owner_id_for(enriched.mailbox)
        email = {
            "hs_timestamp": hubspot_timestamp(entry.updated_at),
            "hs_email_direction": "EMAIL",
            "hs_email_status": "SENT" if sent else "SCHEDULED",
            "hs_email_subject": current.subject,
            "hs_email_text": current.body_text,
            **({"hubspot_owner_id": owner_id} if owner_id else {}),
        }
        _create_once(
            app_store, key, "email",
            find=lambda: hubspot.find_engagement("emails", _identity(email, "hs_email_subject")),
            create=lambda: hubspot.log_email(contact_id, email),
        )  # fmt: skip
        task = {
            # From the send, not from now: the same on every attempt, so it identifies it.
            "hs_timestamp": hubspot_timestamp(entry.updated_at + FOLLOW_UP_AFTER),
            "hs_task_subject": (
                "Follow up on the demo request"
                if sent
                else "Review and send the Gmail draft for a demo request"
            ),
            "hs_task_body": "Created by salesagent after the first email.",
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": "HIGH",
            "hs_task_type": "EMAIL",
            **({"hubspot_owner_id": owner_id} if owner_id else {}),
        }
        _create_once(
            app_store, key, "task",
            find=lambda: hubspot.find_engagement("tasks", _identity(task, "hs_task_subject")),
            create=lambda: hubspot.create_task(contact_id, task),
        )  # fmt: skip
        with app_store.session() as session:
            activity = hubspot_activity.get_activity(session, key)
            if sent and not activity.lead_status_updated:
                hubspot.update_contact(contact_id, {"hs_lead_status": "ATTEMPTED_TO_CONTACT"})
                activity.lead_status_updated = True
            engagement_id, task_id = activity.email_engagement_id, activity.task_id
    return {
        "ledger_state": entry.state,
        "mode": entry.mode,
        "attempts": entry.attempts,
        "gmail_message_id": entry.gmail_message_id or "",
        "gmail_thread_id": entry.gmail_thread_id or "",
        "hubspot_email_id": engagement_id or "",
        "hubspot_task_id": task_id or "",
    }


_ID_FIELDS = {"email": "email_engagement_id", "task": "task_id"}


def _identity(properties: dict[str, str], subject_property: str) -> dict[str, str]:
    return {name: properties[name] for name in ("hs_timestamp", subject_property)}


def _create_once(
    app_store: AppStoreResource,
    key: str,
    kind: str,
    find: Callable[[], str | None],
    create: Callable[[], str],
) -> str:
    """Create a HubSpot object at most once per lead. The attempt is recorded before the
    call; if an earlier attempt's answer was lost (timeout, 5xx after HubSpot stored it, a
    crash), the object is looked up by its identifying properties before creating again."""
    id_field, attempted_field = _ID_FIELDS[kind], f"{kind}_attempted_at"
    with app_store.session() as session:
        activity = hubspot_activity.get_activity(session, key)
        known: str | None = getattr(activity, id_field)
        attempted_before = getattr(activity, attempted_field) is not None
        if known is None:
            setattr(activity, attempted_field, utc_now())
    if known is not None:
        return known
    object_id = (find() if attempted_before else None) or create()
    with app_store.session() as session:
        setattr(hubspot_activity.get_activity(session, key), id_field, object_id)
    return object_id


@graph_asset(
    partitions_def=submissions_partitions,
    group_name=GROUP,
    ins={
        "decided": AssetIn(key=send_decision.key, dagster_type=Nothing),
        # An operator's decision (review_lead job); process_lead runs without it.
        "reviewed": AssetIn(key=AssetKey("operator_review"), dagster_type=Nothing),
    },
    kinds={"gmail", "hubspot"},
    description="The first email to the lead: a Gmail draft, or a send when real sends are on.",
)
def sent_email(decided: None, reviewed: None) -> None:
    return log_to_hubspot(send_via_gmail(compose_message(decided=decided, reviewed=reviewed)))

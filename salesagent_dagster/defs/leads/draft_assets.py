"""`draft` and `send_decision`: what we would write, and whether it may go by itself.

Thin assets over stage functions (`write_draft`, `decide_send`) that the batch job runs too.
"""

from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetExecutionContext,
    DagsterLogManager,
    MaterializeResult,
    MetadataValue,
    asset,
)

from salesagent_dagster.defs.leads.lead_assets import GROUP, enrichment
from salesagent_dagster.defs.partitions import submissions_partitions
from salesagent_dagster.domain.approval_rules import DecisionInputs, decide
from salesagent_dagster.domain.draft_writer import DraftFacts, compose_draft
from salesagent_dagster.domain.safety.draft_review import SafetyReport
from salesagent_dagster.domain.send_authorization import may_refuse
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.draft_safety import check_latest_draft, stored_safety_report
from salesagent_dagster.services.mailboxes import lead_gmail
from salesagent_dagster.store import drafts, experiments, leads, voice_profiles
from salesagent_dagster.store.models import SendDecision

PREVIEW_CHARS = 600


@asset(
    partitions_def=submissions_partitions,
    group_name=GROUP,
    deps=[enrichment],
    kinds={"python"},
    output_required=False,
    description="Subject and body in the rep's voice, with the compliance footer.",
)
def draft(
    context: AssetExecutionContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> Iterator[MaterializeResult]:
    metadata = write_draft(context.partition_key, context.log, app_store, gmail, outreach)
    if metadata is not None:
        yield MaterializeResult(metadata=metadata)


def write_draft(
    key: str,
    log: DagsterLogManager,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> dict[str, Any] | None:
    """Compose the lead's draft (an operator's edit stays current); the `draft` metadata,
    or None when the lead has no enrichment."""
    with app_store.session() as session:
        lead_row = leads.get_lead(session, key)
        enriched = leads.get_enrichment(session, key)
        if lead_row is None or enriched is None:
            log.info("no enrichment for this lead; nothing to draft")
            return None
        voice = voice_profiles.voice_for(session, enriched.mailbox)
        current = drafts.latest_draft(session, key)
        # The lead's arm per experiment, over the arms still running; a re-drafted lead keeps
        # the arm its earlier draft had while that arm runs.
        assignment = outreach.experiments().assign(
            key,
            stopped=experiments.stopped_arms(session),
            previous=current.variant if current is not None and current.variant else None,
        )
    gmail = lead_gmail(app_store, gmail, key)
    with app_store.session() as session:
        composed = compose_draft(
            DraftFacts(
                first_name=lead_row.first_name,
                company=lead_row.company,
                job_title=lead_row.job_title,
                industry=lead_row.industry,
                left_message=bool(lead_row.message),
                replied_before=enriched.replied_before,
                thread_subject=enriched.reply_subject or "",
            ),
            voice,
            outreach.sender_identity(gmail.sender_name, gmail.sender_email),
            outreach.unsubscribe_link(key),
            assignment.variant,
        )
        current = drafts.latest_draft(session, key)
        if current is not None and current.author != "agent":
            # An operator's edit wins over a re-generated draft; keep theirs current.
            saved = current
        elif current is not None and (
            current.subject,
            current.body_text,
            current.variant or None,
            current.voice_version,
        ) == (composed.subject, composed.body_text, assignment.arms or None, voice.version):
            saved = current
        else:
            saved = drafts.add_draft_version(
                session,
                partition_key=key,
                subject=composed.subject,
                body_text=composed.body_text,
                template=composed.template,
                voice_profile=voice.as_dict(),
                author="agent",
                variant=assignment.arms or None,
                voice_version=voice.version,
            )
    # The one place PII is allowed in metadata: what the operator reads to approve (I-6). The
    # writer takes only cleaned names, company and title from the form and never quotes the
    # message (I-11), so nothing else a submitter typed reaches the instance through here.
    return {
        "draft_version": saved.version,
        "author": saved.author,
        "template": saved.template,
        "voice_samples": voice.sample_count,
        "voice_profile_version": saved.voice_version,
        # Experiment and arm names from the policy file: no PII.
        "variant": saved.variant or {},
        "preview": MetadataValue.md(
            f"**Subject:** {saved.subject}\n\n{saved.body_text[:PREVIEW_CHARS]}"
        ),
    }


@asset(
    partitions_def=submissions_partitions,
    group_name=GROUP,
    deps=[draft],
    kinds={"python"},
    output_required=False,
    description="Rules engine: auto_approve, needs_review or blocked, with the rationale.",
)
def send_decision(
    context: AssetExecutionContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> Iterator[MaterializeResult]:
    metadata = decide_send(context.partition_key, context.log, app_store, gmail, outreach)
    if metadata is not None:
        yield MaterializeResult(metadata=metadata)


def decide_send(
    key: str,
    log: DagsterLogManager,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> dict[str, Any] | None:
    """The rules engine over the draft and its stored check results, saved; the
    `send_decision` metadata, or None when the lead has no draft."""
    settings = outreach.rule_settings()
    with app_store.session() as session:
        enriched = leads.get_enrichment(session, key)
        lead_row = leads.get_lead(session, key)
        current = drafts.latest_draft(session, key)
        if enriched is None or lead_row is None or current is None or not lead_row.email:
            log.info("no draft for this lead; nothing to decide")
            return None
        # What the draft's checks stored in this run: the rules are not evaluated twice.
        report = stored_safety_report(session, key, current.version)
    if report is None:
        report = _check_now(app_store, gmail, outreach, key)
    with app_store.session() as session:
        decision = decide(
            DecisionInputs(
                replied_before=enriched.replied_before,
                known_good=enriched.known_good,
                icp_score=enriched.icp_score,
                domain_verified=enriched.domain_verified,
                blocking_findings=tuple(f.describe() for f in report.hard_findings),
                # A full send window defers the send (at send time); it is no reason for review.
                review_findings=tuple(f.describe() for f in report.soft_findings if may_refuse(f)),
            ),
            settings,
        )
        drafts.save_decision(
            session,
            SendDecision(
                partition_key=key,
                draft_version=current.version,
                outcome=decision.outcome.value,
                confidence=decision.confidence,
                threshold=settings.auto_approve_threshold,
                rules_fired=[
                    {"rule": r.name, "confidence": r.confidence, "because": r.because}
                    for r in decision.rules_fired
                ],
                rationale=decision.rationale,
            ),
        )
    return {
        "outcome": decision.outcome.value,
        "confidence": decision.confidence,
        "threshold": settings.auto_approve_threshold,
        "rules_fired": [rule.name for rule in decision.rules_fired],
        "rationale": decision.rationale,
        "shadow_mode": settings.shadow_mode,
    }


def _check_now(
    app_store: AppStoreResource, gmail: GmailResource, outreach: OutreachSettings, key: str
) -> SafetyReport:
    """The checks did not run for this draft (a run that left them out): evaluate and store
    them here, as they would have."""
    checked = check_latest_draft(app_store, gmail, outreach, key)
    if checked is None:
        raise LookupError(f"{key}: the draft disappeared while deciding")
    return checked[1]

"""What an operator's approve, edit or reject does, whichever door it comes through (the
Launchpad's `review_lead` job or `salesagent review`, which launches that job).

An approval covers one draft version and names the soft rules the operator takes on; it is
refused, with the reason recorded, when a hard rule fires, when a soft rule fires that was not
overridden, when the operator read an older version, or when the lead was rejected or already
delivered. An edit adds a draft version (the original stays) and is checked like any draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dagster import DagsterInstance, Definitions
from sqlalchemy.orm import Session

from salesagent_dagster.domain.draft_writer import compliance_footer
from salesagent_dagster.domain.mime_message import new_message_id
from salesagent_dagster.domain.safety.findings import HARD_RULES, OVERRIDABLE_RULES, Finding
from salesagent_dagster.domain.send_authorization import Authorization
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.draft_safety import check_draft
from salesagent_dagster.services.follow_ups import cancel_follow_ups
from salesagent_dagster.services.operators import shown_reviewer_kind
from salesagent_dagster.services.outgoing_email import outgoing_email_for
from salesagent_dagster.store import audit, drafts, reviews, send_ledger
from salesagent_dagster.store.models import Draft, ReviewDecision


class ReviewAction(StrEnum):
    """Lower-case names: Dagster's Launchpad shows and accepts an enum's member names."""

    approve = "approve"
    edit = "edit"
    reject = "reject"


@dataclass(frozen=True)
class ReviewRequest:
    action: ReviewAction
    reviewer: str
    reason: str
    draft_version: int = 0  # the version the operator read; 0 = the latest
    new_subject: str = ""
    new_body: str = ""
    override_rules: tuple[str, ...] = ()
    # How the reviewer is known (DESIGN I-13). `signed_in` stands only with the desk's
    # `identity_proof` for this reviewer and lead; anything else is recorded as declared.
    reviewer_kind: str = "declared"
    identity_proof: str = ""


REVIEWER_KINDS = ("signed_in", "os_user", "declared")


def recorded_reviewer_kind(session: Session, partition_key: str, request: ReviewRequest) -> str:
    """What the audit says about who this reviewer is: never more than can be shown."""
    return shown_reviewer_kind(
        session, partition_key, request.reviewer, request.reviewer_kind, request.identity_proof
    )


@dataclass(frozen=True)
class ReviewResult:
    accepted: bool
    action: ReviewAction
    draft_version: int
    explanation: str
    findings: list[str] = field(default_factory=list)
    overridden_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sender:
    email: str
    name: str


def apply_review(
    session: Session,
    partition_key: str,
    request: ReviewRequest,
    outreach: OutreachSettings,
    sender: Sender,
) -> ReviewResult:
    """Record the decision if it may stand; otherwise record why it was refused."""
    result = _judge(session, partition_key, request, outreach, sender)
    kind = recorded_reviewer_kind(session, partition_key, request)
    if result.accepted:
        reviews.record_review(
            session,
            ReviewDecision(
                partition_key=partition_key,
                action=request.action.value,
                reviewer=request.reviewer,
                reason=request.reason,
                draft_version=result.draft_version,
                overridden_rules=list(result.overridden_rules),
                reviewer_kind=kind,
            ),
        )
        if request.action == ReviewAction.reject:
            cancel_follow_ups(session, partition_key, "rejected in review")
    else:
        audit.record(
            session,
            actor=request.reviewer or "unknown",
            action=f"review_{request.action.value}_refused",
            subject=partition_key,
            details={
                "why": result.explanation,
                "findings": result.findings,
                "reviewer_kind": kind,
            },
        )
    return result


def _judge(
    session: Session,
    key: str,
    request: ReviewRequest,
    outreach: OutreachSettings,
    sender: Sender,
) -> ReviewResult:
    def refuse(why: str, version: int = 0, findings: list[str] | None = None) -> ReviewResult:
        return ReviewResult(False, request.action, version, why, findings or [])

    if not request.reviewer.strip() or not request.reason.strip():
        return refuse("a review needs the reviewer's name and a reason")
    latest = drafts.latest_draft(session, key)
    if latest is None:
        return refuse("this lead has no draft to review")
    if reviews.is_rejected(session, key):
        return refuse("this lead was rejected; a rejected lead is never sent", latest.version)
    if send_ledger.get_entry(session, key) is not None:
        if request.action == ReviewAction.reject:
            # Too late for the first email, not for what would follow it.
            return ReviewResult(
                True, request.action, latest.version, "rejected: no follow-up will be sent"
            )
        return refuse("an email for this lead was already sent or drafted", latest.version)
    if request.draft_version and request.draft_version != latest.version:
        return refuse(
            f"you reviewed version {request.draft_version} but the latest is "
            f"{latest.version}; review the latest",
            latest.version,
        )
    if request.action == ReviewAction.reject:
        return ReviewResult(True, request.action, latest.version, "rejected: it will not be sent")
    hard = sorted(set(request.override_rules) & HARD_RULES)
    if hard:
        return refuse(f"hard rules cannot be overridden: {', '.join(hard)}", latest.version)
    unknown = sorted(set(request.override_rules) - OVERRIDABLE_RULES)
    if unknown:
        return refuse(
            f"unknown rules {', '.join(unknown)}; overridable: "
            + ", ".join(sorted(OVERRIDABLE_RULES)),
            latest.version,
        )
    version = latest
    if request.action == ReviewAction.edit:
        if request.new_subject or request.new_body:
            version = save_edit(session, key, request, outreach, sender, latest)
        elif latest.author == "agent":
            return refuse("an edit needs a new subject or body", latest.version)
    findings = _findings(session, key, version, outreach, sender)
    overrides = tuple(sorted(set(request.override_rules)))
    authorization = Authorization(version.version, request.reviewer, frozenset(overrides))
    blocking = authorization.refusals(findings)
    if blocking:
        soft = sorted({f.rule for f in blocking if not f.hard})
        hint = (
            f"; override with: {', '.join(soft)}"
            if soft and not any(f.hard for f in blocking)
            else ""
        )
        return refuse(
            "safety rules stop this draft" + hint,
            version.version,
            [f.describe() for f in blocking],
        )
    verb = "edited and approved" if version is not latest else "approved"
    return ReviewResult(
        True,
        request.action,
        version.version,
        f"{verb} version {version.version}",
        [f.describe() for f in findings if f.rule in overrides],
        overrides,
    )


def save_edit(
    session: Session,
    key: str,
    request: ReviewRequest,
    outreach: OutreachSettings,
    sender: Sender,
    latest: Draft,
) -> Draft:
    """A new version by the operator; the compliance footer is added if their text lacks it."""
    body = (request.new_body or latest.body_text).rstrip()
    unsubscribe_url = outreach.unsubscribe_link(key)
    if unsubscribe_url not in body:
        identity = outreach.sender_identity(sender.name, sender.email)
        body = f"{body}\n\n{compliance_footer(identity, unsubscribe_url)}"
    return drafts.add_draft_version(
        session,
        partition_key=key,
        subject=request.new_subject or latest.subject,
        body_text=body,
        template="operator_edit",
        voice_profile=latest.voice_profile,
        # An edit keeps the arms and voice it was edited from: its outcome still counts there.
        variant=latest.variant,
        voice_version=latest.voice_version,
        author=request.reviewer,
    )


def _findings(
    session: Session, key: str, version: Draft, outreach: OutreachSettings, sender: Sender
) -> list[Finding]:
    lead_email = outgoing_email_for(
        session, key, outreach, sender.email, sender.name, new_message_id(sender.email)
    )
    if lead_email is None or lead_email.draft.version != version.version:
        raise LookupError(f"{key}: draft version {version.version} is not the latest")
    return check_draft(session, lead_email, outreach, sender.email).findings


def edit_draft(
    session: Session,
    partition_key: str,
    request: ReviewRequest,
    outreach: OutreachSettings,
    sender: Sender,
) -> Draft:
    """Save an operator's new text as a new draft version ahead of its review run (the CLI's
    edit): the text goes to the app DB, never into run config (I-6), and the run approves
    that version. An empty subject or body keeps the latest one."""
    latest = drafts.latest_draft(session, partition_key)
    if latest is None:
        raise LookupError(f"{partition_key}: no draft")
    return save_edit(session, partition_key, request, outreach, sender, latest)


@dataclass(frozen=True)
class ReviewRun:
    run_id: str
    approved: bool
    explanation: str
    metadata: dict[str, Any]


def run_review(
    instance: DagsterInstance,
    definitions: Definitions,
    partition_key: str,
    config: dict[str, Any],
    run_config: Mapping[str, Any] | None = None,
) -> ReviewRun:
    """Launch the `review_lead` job for one lead in this process, on the instance the daemon
    and the UI use, so a review from the CLI shows in the UI like a Launchpad one.
    `run_config` adds to the job's config (e.g. the console's log level)."""
    result = definitions.resolve_job_def("review_lead").execute_in_process(
        instance=instance,
        partition_key=partition_key,
        run_config={**(run_config or {}), "ops": {"operator_review": {"config": config}}},
        tags={"salesagent/review": config.get("action", "")},
        raise_on_error=False,
    )
    evaluations = result.get_asset_check_evaluations()
    if not evaluations:
        return ReviewRun(result.run_id, False, "the review run failed; see its logs", {})
    metadata = {name: value.value for name, value in evaluations[0].metadata.items()}
    return ReviewRun(
        result.run_id, evaluations[0].passed, str(metadata.get("explanation", "")), metadata
    )

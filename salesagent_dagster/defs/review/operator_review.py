"""`operator_review`: an operator's approve, edit or reject of one lead, from the Launchpad.

Launch the `review_lead` job for one partition with this asset's config; the run records the
decision (who, when, what, why), reports the `operator_approval` check, and then runs
`sent_email`, whose every gate checks again before anything is sent.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    asset,
)
from pydantic import Field

from salesagent_dagster.defs.partitions import submissions_partitions
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.mailboxes import lead_gmail
from salesagent_dagster.services.review import (
    ReviewAction,
    ReviewRequest,
    Sender,
    apply_review,
)

REVIEW_GROUP = "review"


class ReviewConfig(Config):
    action: ReviewAction = Field(description="approve, edit or reject")
    reviewer: str = Field(description="Your name: recorded with the decision")
    reason: str = Field(description="Why: recorded with the decision")
    draft_version: int = Field(
        default=0, description="The draft version you read (see the draft's metadata); 0 = latest"
    )
    new_subject: str = Field(default="", description="edit: the new subject (empty = keep)")
    new_body: str = Field(
        default="", description="edit: the new body; the compliance footer is added if missing"
    )
    override_rules: list[str] = Field(
        default=[], description="Soft rules you take responsibility for, e.g. ['competitor']"
    )
    reviewer_kind: str = Field(
        default="declared",
        description="How the reviewer is known: a name typed here is recorded as declared",
    )
    identity_proof: str = Field(
        default="", description="Set by the review desk only: proves a signed-in operator"
    )


@asset(
    partitions_def=submissions_partitions,
    group_name=REVIEW_GROUP,
    deps=["send_decision"],
    kinds={"python"},
    check_specs=[
        AssetCheckSpec(
            "operator_approval",
            asset="operator_review",
            description="An operator approved this lead's current draft (red: rejected or refused).",
        )
    ],
    description="An operator's decision on a lead's draft, with who, when and why.",
)
def operator_review(
    context: AssetExecutionContext,
    config: ReviewConfig,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> Iterator[MaterializeResult]:
    key = context.partition_key
    gmail = lead_gmail(app_store, gmail, key)
    request = ReviewRequest(
        action=config.action,
        reviewer=config.reviewer,
        reason=config.reason,
        draft_version=config.draft_version,
        new_subject=config.new_subject,
        new_body=config.new_body,
        override_rules=tuple(config.override_rules),
        reviewer_kind=config.reviewer_kind,
        identity_proof=config.identity_proof,
    )
    with app_store.session() as session:
        result = apply_review(
            session, key, request, outreach, Sender(gmail.sender_email, gmail.sender_name)
        )
    if not result.accepted:
        context.log.warning(f"review refused: {result.explanation}")
    approved = result.accepted and result.action != ReviewAction.reject
    metadata = {
        "action": result.action.value,
        "accepted": result.accepted,
        "reviewer": config.reviewer,
        "reason": config.reason,
        "draft_version": result.draft_version,
        "explanation": result.explanation,
        "findings": result.findings,
        "overridden_rules": list(result.overridden_rules),
    }
    yield MaterializeResult(
        metadata=metadata,
        check_results=[
            AssetCheckResult(
                check_name="operator_approval",
                passed=approved,
                severity=AssetCheckSeverity.ERROR
                if result.action == ReviewAction.reject or not result.accepted
                else AssetCheckSeverity.WARN,
                metadata=metadata,
            )
        ],
    )

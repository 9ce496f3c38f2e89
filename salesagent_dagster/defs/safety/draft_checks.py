"""Safety rules as asset checks on `draft`, each stored with its reasons.

Non-blocking by design (DESIGN I-4): a failing check must not fail the run and spend a
retry; what stops an unsafe send is the decision, which reads the results stored here, and
the send-time gate, which evaluates the same rules again through the same code.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    multi_asset_check,
)

from salesagent_dagster.domain.safety.draft_review import CHECK_NAMES
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.draft_safety import check_latest_draft, check_outcomes

DRAFT_KEY = AssetKey("draft")

CHECK_DESCRIPTIONS = {
    "draft_has_no_pii": "No SSNs, card numbers, IBANs or secrets in subject or body.",
    "draft_has_no_prohibited_content": "Nothing the content policy forbids; no placeholders.",
    "draft_states_only_known_facts": "No number, name or job title the lead data lacks.",
    "draft_has_compliance_footer": "Postal address, unsubscribe link and List-Unsubscribe.",
    "recipient_is_allowed": "Valid, not suppressed, allowed, not a role or competitor address.",
    "within_send_limits": "Per-contact and per-mailbox windows have room.",
    "form_input_is_clean": "No line breaks, headers, addresses, links or markup in the form.",
}


@multi_asset_check(
    specs=[
        AssetCheckSpec(name, asset=DRAFT_KEY, description=CHECK_DESCRIPTIONS[name], blocking=False)
        for name in CHECK_NAMES
    ],
    can_subset=False,
    # Before `send_decision` when both may run: the decision reads the results stored here.
    op_tags={"dagster/priority": "1"},
)
def draft_safety_checks(
    context: AssetCheckExecutionContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> Iterator[AssetCheckResult]:
    key = context.run.tags.get("dagster/partition") or ""
    checked = check_latest_draft(app_store, gmail, outreach, key)
    if checked is None:
        raise LookupError(f"{key}: no draft to check")
    for outcome in check_outcomes(*checked):
        yield AssetCheckResult(
            check_name=outcome.name,
            asset_key=DRAFT_KEY,
            passed=outcome.passed,
            severity=AssetCheckSeverity.ERROR if outcome.hard else AssetCheckSeverity.WARN,
            metadata=outcome.metadata,
        )

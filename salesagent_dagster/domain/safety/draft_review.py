"""All safety rules over one draft, grouped the way the asset checks report them.

The asset checks (the UI's view), the send decision and the send-time gate all call
`review_draft`, so they can never disagree about what is safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage

from salesagent_dagster.domain.safety.compliance import (
    check_compliance_footer,
    check_unsubscribe_headers,
)
from salesagent_dagster.domain.safety.content import (
    ContentPolicy,
    find_prohibited_content,
    find_unresolved_placeholders,
)
from salesagent_dagster.domain.safety.findings import Finding
from salesagent_dagster.domain.safety.grounding import find_unsupported_facts
from salesagent_dagster.domain.safety.pii import find_pii
from salesagent_dagster.domain.safety.recipient import RecipientPolicy, check_recipient
from salesagent_dagster.domain.send_limits import SendLimits, SendVolume, check_send_limits

CHECK_NAMES = (
    "draft_has_no_pii",
    "draft_has_no_prohibited_content",
    "draft_states_only_known_facts",
    "draft_has_compliance_footer",
    "recipient_is_allowed",
    "within_send_limits",
    "form_input_is_clean",
)


@dataclass(frozen=True)
class DraftUnderReview:
    recipient_email: str
    subject: str
    body_text: str
    message: EmailMessage
    postal_address: str
    unsubscribe_url: str
    # What the draft may state: the lead's form, enrichment and the sender's identity.
    known_facts: tuple[str, ...] = ()
    # `suspicious_input` findings on the submission the draft answers (form_input.py, I-11):
    # they stay with every version, an operator's edit included, until someone overrides them.
    input_findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class SafetyContext:
    content_policy: ContentPolicy
    recipient_policy: RecipientPolicy
    is_suppressed: bool
    volume: SendVolume
    limits: SendLimits


@dataclass(frozen=True)
class SafetyReport:
    by_check: dict[str, list[Finding]] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return [finding for group in self.by_check.values() for finding in group]

    @property
    def hard_findings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.hard]

    @property
    def soft_findings(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.hard]


def review_draft(draft: DraftUnderReview, context: SafetyContext) -> SafetyReport:
    subject, body = draft.subject, draft.body_text
    return SafetyReport(
        by_check={
            "draft_has_no_pii": find_pii(subject, "subject") + find_pii(body),
            "draft_has_no_prohibited_content": (
                find_prohibited_content(subject, context.content_policy, "subject")
                + find_prohibited_content(body, context.content_policy)
                + find_unresolved_placeholders(subject, "subject")
                + find_unresolved_placeholders(body)
            ),
            "draft_states_only_known_facts": (
                find_unsupported_facts(subject, draft.known_facts, "subject")
                + find_unsupported_facts(body, draft.known_facts)
            ),
            "draft_has_compliance_footer": (
                check_compliance_footer(body, draft.postal_address, draft.unsubscribe_url)
                + check_unsubscribe_headers(draft.message, draft.unsubscribe_url)
            ),
            "recipient_is_allowed": check_recipient(
                draft.recipient_email, context.recipient_policy, is_suppressed=context.is_suppressed
            ),
            "within_send_limits": check_send_limits(context.volume, context.limits),
            "form_input_is_clean": list(draft.input_findings),
        }
    )

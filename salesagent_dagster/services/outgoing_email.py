"""The one way to turn a lead's current draft into the email and the safety inputs.

The asset checks, the review, the composing of the message and the send-time gate all come
through here, so the message that was checked is the message that is sent. The MIME message
is built only when something reads it, and then once; at send time it is not built at all but
read back from the outbox, so the gate checks the exact bytes Gmail receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from functools import cached_property

from sqlalchemy.orm import Session

from salesagent_dagster.domain.mime_message import (
    OutgoingEmail,
    build_mime_message,
    decode_from_gmail,
)
from salesagent_dagster.domain.safety.content import default_content_policy
from salesagent_dagster.domain.safety.draft_review import (
    DraftUnderReview,
    SafetyContext,
    SafetyReport,
    review_draft,
)
from salesagent_dagster.domain.safety.form_input import recipient_display_name
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.store import drafts, leads, send_ledger, suppression
from salesagent_dagster.store.models import Draft, Enrichment, Lead, utc_now


@dataclass(frozen=True)
class LeadEmail:
    lead: Lead
    draft: Draft
    email: OutgoingEmail
    postal_address: str
    known_facts: tuple[str, ...]
    thread_id: str | None = None  # the Gmail thread this email answers, if any
    prepared_raw: str | None = None  # the composed message from the outbox, once there is one

    @cached_property
    def mime(self) -> EmailMessage:
        """The message as it goes to Gmail: the outbox's bytes when composed, else built."""
        if self.prepared_raw is not None:
            return decode_from_gmail(self.prepared_raw)
        return build_mime_message(self.email)

    @cached_property
    def under_review(self) -> DraftUnderReview:
        """What the safety rules read: the draft, its MIME headers and what it may state."""
        return DraftUnderReview(
            recipient_email=self.email.recipient_email,
            subject=self.draft.subject,
            body_text=self.draft.body_text,
            message=self.mime,
            postal_address=self.postal_address,
            unsubscribe_url=self.email.unsubscribe_url,
            known_facts=self.known_facts,
            input_findings=leads.input_findings(self.lead),
        )


def outgoing_email_for(
    session: Session,
    partition_key: str,
    outreach: OutreachSettings,
    sender_email: str,
    sender_name: str,
    message_id: str,
    prepared_raw: str | None = None,
) -> LeadEmail | None:
    """The latest draft as an email, or None when the lead has no draft. `prepared_raw` is
    the composed message of that draft from the outbox, which `mime` then reads back."""
    lead = leads.get_lead(session, partition_key)
    draft = drafts.latest_draft(session, partition_key)
    if lead is None or draft is None or not lead.email:
        return None
    enrichment = leads.get_enrichment(session, partition_key)
    replying_to = enrichment.reply_message_id if enrichment else None
    recipient_name = recipient_display_name(lead.first_name, lead.last_name)
    unsubscribe_url = outreach.unsubscribe_link(partition_key)
    email = OutgoingEmail(
        sender_name=sender_name or sender_email,
        sender_email=sender_email,
        recipient_name=recipient_name,
        recipient_email=lead.email,
        subject=draft.subject,
        body_text=draft.body_text,
        message_id=message_id,
        unsubscribe_url=unsubscribe_url,
        unsubscribe_mailto=outreach.unsubscribe_mailto(sender_email, partition_key),
        in_reply_to=replying_to or None,
        references=_references(enrichment),
    )
    return LeadEmail(
        lead=lead,
        draft=draft,
        email=email,
        postal_address=outreach.postal_address,
        known_facts=_known_facts(lead, enrichment, sender_name, sender_email, outreach),
        thread_id=enrichment.reply_thread_id if enrichment and replying_to else None,
        prepared_raw=prepared_raw,
    )


def safety_report_for(
    session: Session, lead_email: LeadEmail, outreach: OutreachSettings, mailbox: str
) -> SafetyReport:
    """All safety rules, with the suppression list and send windows as they are right now."""
    email_hash = lead_email.lead.email_hash or outreach.fingerprint(lead_email.lead.email or "")
    limits = outreach.send_limits()
    context = SafetyContext(
        content_policy=default_content_policy(),
        recipient_policy=outreach.recipient_policy(),
        is_suppressed=suppression.is_suppressed(session, email_hash),
        volume=send_ledger.send_volume(session, mailbox, email_hash, limits, utc_now()),
        limits=limits,
    )
    return review_draft(lead_email.under_review, context)


def _known_facts(
    lead: Lead,
    enrichment: Enrichment | None,
    sender_name: str,
    sender_email: str,
    outreach: OutreachSettings,
) -> tuple[str, ...]:
    """What a draft may state: the form, the enrichment and the sender's identity."""
    return (
        lead.first_name,
        lead.last_name,
        lead.company,
        lead.job_title,
        lead.industry,
        lead.country,
        lead.message,
        lead.website_domain or "",
        str(lead.employees or ""),
        enrichment.company_domain or "" if enrichment else "",
        enrichment.reply_subject or "" if enrichment else "",
        sender_name,
        sender_email,
        outreach.booking_url,
        outreach.postal_address,
    )


def _references(enrichment: Enrichment | None) -> tuple[str, ...]:
    """RFC 5322: the parent's References followed by the parent's Message-ID."""
    if enrichment is None or not enrichment.reply_message_id:
        return ()
    chain = [*(enrichment.reply_references or []), enrichment.reply_message_id]
    return tuple(dict.fromkeys(chain))

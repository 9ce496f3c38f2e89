"""A follow-up step as an email: composed once into the outbox, and read back at the gate.

The step answers the email before it in the same Gmail thread (threadId of our first email,
In-Reply-To the previous step's Message-ID, References the whole chain), with the first
email's subject as a reply, so the recipient's client and Gmail keep one conversation. At
send time the gate checks the stored bytes (the subject and text read back from them) with
every rule the first email passed. It is written in the mailbox's current learned voice
(store.voice_profiles), which may be a newer version than the first email's.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from salesagent_dagster.domain.follow_up_plan import FollowUpStep
from salesagent_dagster.domain.follow_up_writer import FollowUpFacts, compose_follow_up
from salesagent_dagster.domain.mime_message import (
    build_mime_message,
    encode_for_gmail,
    new_message_id,
)
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.outgoing_email import LeadEmail, outgoing_email_for
from salesagent_dagster.store import send_ledger, voice_profiles
from salesagent_dagster.store.models import Draft, OutboxMessage


def compose_follow_up_message(
    session: Session,
    partition_key: str,
    plan_step: FollowUpStep,
    outreach: OutreachSettings,
    sender_email: str,
    sender_name: str,
) -> OutboxMessage | None:
    """The step's message, ready for the outbox; None when an email before it is missing
    from the ledger or the lead's approved draft is gone."""
    step = plan_step.number
    earlier = [send_ledger.get_entry(session, partition_key, s) for s in range(step)]
    if any(entry is None for entry in earlier):
        return None
    chain = [entry for entry in earlier if entry is not None]
    first, previous = chain[0], chain[-1]
    message_id = new_message_id(sender_email)
    base = outgoing_email_for(
        session, partition_key, outreach, sender_email, sender_name, message_id
    )
    if base is None or base.draft.version != first.draft_version:
        return None
    composed = compose_follow_up(
        plan_step,
        FollowUpFacts(base.lead.first_name, base.lead.company, base.draft.subject),
        # The mailbox's voice as learned now, not as it was when the first email was drafted:
        # a week's more sent mail may have taught us more about how the rep writes.
        voice_profiles.voice_for(session, sender_email),
        outreach.sender_identity(sender_name, sender_email),
        base.email.unsubscribe_url,
    )
    email = replace(
        base.email,
        subject=composed.subject,
        body_text=composed.body_text,
        in_reply_to=previous.message_id,
        # RFC 5322: the parent's References, then the parent: our first email's own chain
        # (it may answer their earlier mail) and every email of ours since.
        references=tuple(
            dict.fromkeys([*base.email.references, *(entry.message_id for entry in chain)])
        ),
    )
    return OutboxMessage(
        partition_key=partition_key,
        step=step,
        draft_version=first.draft_version,
        message_id=message_id,
        raw=encode_for_gmail(build_mime_message(email)),
        thread_id=first.gmail_thread_id,
    )


def follow_up_at_gate(
    session: Session,
    partition_key: str,
    outreach: OutreachSettings,
    sender_email: str,
    sender_name: str,
    prepared: OutboxMessage,
) -> LeadEmail | None:
    """The stored follow-up as the safety rules read it: the lead and what it may state as
    for the first email, the subject and text as they are in the stored bytes. The draft
    version is the lead's latest, so an edit after the approval stops the send as it would
    stop the first email."""
    base = outgoing_email_for(
        session,
        partition_key,
        outreach,
        sender_email,
        sender_name,
        prepared.message_id,
        prepared_raw=prepared.raw,
    )
    if base is None:
        return None
    message = base.mime  # decoded from the outbox
    plain = message.get_body(preferencelist=("plain",))
    body = plain.get_content() if plain is not None else ""
    body = body.replace("\r\n", "\n").rstrip("\n")
    subject = str(message.get("Subject", ""))
    as_stored = Draft(  # never added to the session: what the rules read, not a new version
        partition_key=partition_key,
        version=base.draft.version,
        subject=subject,
        body_text=body,
        template="follow_up",
        voice_profile=base.draft.voice_profile,
        author="agent",
    )
    email = replace(
        base.email,
        subject=subject,
        body_text=body,
        in_reply_to=str(message.get("In-Reply-To", "")) or None,
        references=tuple(str(message.get("References", "")).split()),
    )
    return replace(base, draft=as_stored, email=email, thread_id=prepared.thread_id)

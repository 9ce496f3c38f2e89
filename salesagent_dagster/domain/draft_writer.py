"""Compose the first reply to a demo request in the rep's voice.

The draft uses only facts we hold (the form and the enrichment), so the safety checks can
verify that nothing in it was invented. The compliance footer is added here, once, so no
path can build an email without it.

The form is untrusted input (DESIGN I-11), so the writer takes from it only what has the shape
of a name: the first name, company and job title pass through the same cleaning as at intake
(safety/form_input.py) whoever calls, and one that is not a name is left out (the greeting
becomes "Hello,", the subject drops the company). The lead's message is never quoted, not even
a sentence: the writer only knows whether there was one, so no link, markup or address a
stranger typed can reach a recipient through it. A thread subject from the person's earlier
mail is used only when it is clean text.
"""

from __future__ import annotations

from dataclasses import dataclass

from salesagent_dagster.domain.safety.form_input import (
    clean_company_name,
    clean_job_title,
    clean_person_name,
    clean_subject_line,
)
from salesagent_dagster.domain.voice_profile import VoiceProfile


@dataclass(frozen=True)
class DraftFacts:
    """Everything the writer may mention about the lead."""

    first_name: str
    company: str
    job_title: str
    industry: str
    # Whether they wrote a message: its text is never quoted (I-11), so the writer gets none.
    left_message: bool
    replied_before: bool
    # The subject of their latest mail to the rep: our answer joins that thread.
    thread_subject: str = ""


@dataclass(frozen=True)
class SenderIdentity:
    name: str
    email: str
    postal_address: str
    booking_url: str


@dataclass(frozen=True)
class ComposedDraft:
    subject: str
    body_text: str
    template: str


def compose_draft(
    facts: DraftFacts,
    voice: VoiceProfile,
    sender: SenderIdentity,
    unsubscribe_url: str,
) -> ComposedDraft:
    """Subject and plain-text body; the HTML part is derived from this text by the MIME
    builder, so both parts always say the same thing."""
    template = "brief" if voice.is_brief else "standard"
    first_name = clean_person_name(facts.first_name).value
    company = clean_company_name(facts.company).value
    job_title = clean_job_title(facts.job_title).value
    thread_subject = clean_subject_line(facts.thread_subject)
    about = f" for {company}" if company else ""
    subject = reply_subject(thread_subject) if thread_subject else f"Your demo request{about}"
    we = "we're" if voice.uses_contractions else "we are"
    i_would = "I'd" if voice.uses_contractions else "I would"
    i_have = "I've" if voice.uses_contractions else "I have"

    greeting = f"{voice.greeting} {first_name}," if first_name else "Hello,"
    lines = [greeting, ""]
    if facts.replied_before:
        lines.append(f"Good to hear from you again, and thanks for asking for a demo{about}.")
    else:
        lines.append(f"Thanks for asking for a demo{about}.")
    if facts.left_message:
        lines.append(f"{i_have} read the note you left with it, and {we} glad to dig into that.")
    if template == "standard":
        role = f" as {job_title}" if job_title else ""
        lines.append(
            f"{i_would} like to show you how teams like yours{role} handle this, "
            "using your own use case rather than a generic tour."
        )
    lines.append(f"Would you pick a 30-minute slot that suits you here: {sender.booking_url}")
    lines += ["", f"{voice.sign_off},", sender.name, "", compliance_footer(sender, unsubscribe_url)]
    return ComposedDraft(subject=subject, body_text="\n".join(lines), template=template)


def reply_subject(subject: str) -> str:
    """Gmail threads a reply only when the subject matches: 'Re: ' once, never 'Re: Re: '."""
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def compliance_footer(sender: SenderIdentity, unsubscribe_url: str) -> str:
    """CAN-SPAM: a valid postal address and a working opt-out in every message."""
    return (
        "--\n"
        f"{sender.postal_address}\n"
        f"You are receiving this because you requested a demo. Unsubscribe: {unsubscribe_url}"
    )

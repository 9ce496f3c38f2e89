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

An experiment arm (policy/experiments.toml, domain/experiments.py) may replace the subject,
the opening line or the call to action with its own fixed text: policy text the team wrote,
validated at load, filled only with the same cleaned values as the writer's own lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

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


# What an experiment arm's text may use; `$about` is " for Acme" (the cleaned company) or "".
VARIANT_PLACEHOLDERS = frozenset(
    {"about", "booking_url", "i_would", "i_am", "i_have", "i_will", "we_are", "it_is"}
)


@dataclass(frozen=True)
class DraftVariant:
    """An experiment arm's text, as string.Template over VARIANT_PLACEHOLDERS; an empty part
    keeps the writer's own line. The subject is used only when we are not answering a thread
    (Gmail threads a reply by its subject), the opening only for a first-time contact (who
    wrote before is greeted as such)."""

    subject: str = ""
    opening: str = ""
    call_to_action: str = ""


NO_VARIANT = DraftVariant()


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
    variant: DraftVariant = NO_VARIANT,
) -> ComposedDraft:
    """Subject and plain-text body; the HTML part is derived from this text by the MIME
    builder, so both parts always say the same thing."""
    template = "brief" if voice.is_brief else "standard"
    first_name = clean_person_name(facts.first_name).value
    company = clean_company_name(facts.company).value
    job_title = clean_job_title(facts.job_title).value
    thread_subject = clean_subject_line(facts.thread_subject)
    about = f" for {company}" if company else ""
    values = variant_values(voice, about, sender.booking_url)
    if thread_subject:
        subject = reply_subject(thread_subject)
    elif variant.subject:
        subject = Template(variant.subject).substitute(values)
    else:
        subject = f"Your demo request{about}"
    we, i_would, i_have = values["we_are"], values["i_would"], values["i_have"]

    greeting = f"{voice.greeting} {first_name}," if first_name else "Hello,"
    lines = [greeting, ""]
    if facts.replied_before:
        lines.append(f"Good to hear from you again, and thanks for asking for a demo{about}.")
    elif variant.opening:
        lines.append(Template(variant.opening).substitute(values))
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
    if variant.call_to_action:
        lines.append(Template(variant.call_to_action).substitute(values))
    else:
        lines.append(f"Would you pick a 30-minute slot that suits you here: {sender.booking_url}")
    lines += ["", f"{voice.sign_off},", sender.name, "", compliance_footer(sender, unsubscribe_url)]
    return ComposedDraft(subject=subject, body_text="\n".join(lines), template=template)


def variant_values(voice: VoiceProfile, about: str, booking_url: str) -> dict[str, str]:
    """What VARIANT_PLACEHOLDERS stand for in this voice: the rep's contractions, or not."""
    return {"about": about, "booking_url": booking_url, **voice.phrases()}


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

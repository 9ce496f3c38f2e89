"""Fill one follow-up step's template in the rep's voice, under the first email's rules.

As for the first email (draft_writer.py), the form is untrusted input (DESIGN I-11): the
template gets the first name and company only as cleaned names (left out when they are not
a name), never the lead's message or anything else they typed. The subject is the first
email's, as a reply ('Re: ' once), so Gmail keeps the thread; the compliance footer is added
here, so no follow-up can go without its opt-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from salesagent_dagster.domain.draft_writer import (
    ComposedDraft,
    SenderIdentity,
    compliance_footer,
    reply_subject,
)
from salesagent_dagster.domain.follow_up_plan import FollowUpStep
from salesagent_dagster.domain.safety.form_input import clean_company_name, clean_person_name
from salesagent_dagster.domain.voice_profile import VoiceProfile


@dataclass(frozen=True)
class FollowUpFacts:
    """All a follow-up may mention: the lead's names (raw: cleaned here) and the first
    email's subject, which the follow-up answers."""

    first_name: str
    company: str
    first_subject: str


def compose_follow_up(
    step: FollowUpStep,
    facts: FollowUpFacts,
    voice: VoiceProfile,
    sender: SenderIdentity,
    unsubscribe_url: str,
) -> ComposedDraft:
    first_name = clean_person_name(facts.first_name).value
    company = clean_company_name(facts.company).value
    values = {
        "greeting_line": f"{voice.greeting} {first_name}," if first_name else "Hello,",
        "about": f" for {company}" if company else "",
        "booking_url": sender.booking_url,
        "sign_off": voice.sign_off,
        "sender_name": sender.name,
        **voice.phrases(),
    }
    template = step.brief_body if voice.is_brief else step.body
    body = Template(template).substitute(values).strip()
    return ComposedDraft(
        subject=reply_subject(facts.first_subject),
        body_text=f"{body}\n\n{compliance_footer(sender, unsubscribe_url)}",
        template=f"follow_up_{step.number}{'_brief' if voice.is_brief else ''}",
    )

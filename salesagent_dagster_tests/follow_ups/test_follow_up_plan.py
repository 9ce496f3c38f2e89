"""The follow-up policy: business days, calendar-day overrides, templates in the rep's voice
that pass every safety rule the first email passes, and a file that says what is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from salesagent_dagster.domain.draft_writer import SenderIdentity
from salesagent_dagster.domain.follow_up_plan import (
    FollowUpConfigError,
    StepDelay,
    load_follow_up_plan,
    parse_day_list,
)
from salesagent_dagster.domain.follow_up_writer import FollowUpFacts, compose_follow_up
from salesagent_dagster.domain.mime_message import OutgoingEmail, build_mime_message
from salesagent_dagster.domain.safety.content import default_content_policy
from salesagent_dagster.domain.safety.draft_review import (
    DraftUnderReview,
    SafetyContext,
    review_draft,
)
from salesagent_dagster.domain.safety.recipient import RecipientPolicy
from salesagent_dagster.domain.send_limits import SendLimits, SendVolume
from salesagent_dagster.domain.voice_profile import VoiceProfile

FRIDAY_AFTERNOON = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
SENDER = SenderIdentity(
    "Sam Rivera", "sam@seller.example", "1 Main St, Springfield", "https://seller.example/book"
)
UNSUBSCRIBE = "https://seller.example/unsubscribe?lead=k&sig=s"


def test_business_days_skip_the_weekend_and_keep_the_time_of_day():
    due = StepDelay(business_days=3).due_after(FRIDAY_AFTERNOON)
    assert due == datetime(2026, 12, 2, 15, 30, tzinfo=UTC)  # Mon, Tue, Wed


def test_an_email_sent_on_saturday_counts_from_monday():
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert StepDelay(business_days=1).due_after(saturday) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_holidays_are_not_business_days():
    due = StepDelay(business_days=1).due_after(
        datetime(2026, 12, 24, 10, 0, tzinfo=UTC), holidays=[date(2026, 12, 25)]
    )
    assert due == datetime(2026, 12, 28, 10, 0, tzinfo=UTC)


def test_calendar_days_are_plain_time_fractions_included():
    assert StepDelay(calendar_days=0.5).due_after(FRIDAY_AFTERNOON) == datetime(
        2026, 11, 28, 3, 30, tzinfo=UTC
    )


def test_the_packaged_policy_has_two_steps_in_business_days():
    plan = load_follow_up_plan()
    assert [step.delay.business_days for step in plan.steps] == [3, 5]
    assert plan.due_at(3, FRIDAY_AFTERNOON) is None


def test_env_days_replace_the_delays_and_empty_means_no_steps():
    plan = load_follow_up_plan()
    assert [s.delay.calendar_days for s in plan.with_calendar_days((0.0001,), "V").steps] == [
        0.0001
    ]
    assert plan.with_calendar_days((), "V").steps == ()
    with pytest.raises(FollowUpConfigError, match="V lists 3 follow-up steps"):
        plan.with_calendar_days((1, 2, 3), "V")


@pytest.mark.parametrize(
    ("text", "expected"), [("", ()), ("  ", ()), ("2", (2.0,)), ("0.0001, 3.5", (0.0001, 3.5))]
)
def test_day_lists_parse(text, expected):
    assert parse_day_list(text) == expected


@pytest.mark.parametrize("text", ["x", "1,,2", "0", "-1", "400"])
def test_bad_day_lists_say_what_is_wrong(text):
    with pytest.raises(FollowUpConfigError):
        parse_day_list(text)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[steps]]\ndelay_business_days = 2\nbody = 'Hi $nickname'\n", "unknown placeholder"),
        ("[[steps]]\ndelay_business_days = 0\nbody = 'Hi'\n", "delay_business_days"),
        ("[[steps]]\ndelay_business_days = 2\nbody = 'costs $5'\n", "stray"),
        ("[[steps]]\ndelay = 2\nbody = 'Hi'\n", "unknown key"),
        ("holidays = ['soon']\n", "holidays"),
    ],
)
def test_a_bad_policy_file_names_the_problem(tmp_path: Path, content, message):
    path = tmp_path / "follow_ups.toml"
    path.write_text(content)
    with pytest.raises(FollowUpConfigError, match=message):
        load_follow_up_plan(path)


VOICES = {
    "standard": VoiceProfile(),
    "brief-formal": VoiceProfile(
        greeting="Dear", sign_off="Kind regards", uses_contractions=False, average_sentence_words=8
    ),
}


@pytest.mark.parametrize("voice", sorted(VOICES))
@pytest.mark.parametrize("number", [1, 2])
def test_every_template_in_every_voice_passes_the_first_emails_safety_rules(voice, number):
    step = load_follow_up_plan().step(number)
    assert step is not None
    facts = FollowUpFacts("Ana", "BrightPath", "Your demo request for BrightPath")
    composed = compose_follow_up(step, facts, VOICES[voice], SENDER, UNSUBSCRIBE)
    email = OutgoingEmail(
        sender_name=SENDER.name, sender_email=SENDER.email, recipient_name="Ana",
        recipient_email="ana@brightpath.io", subject=composed.subject,
        body_text=composed.body_text, message_id="<f@seller.example>",
        unsubscribe_url=UNSUBSCRIBE, unsubscribe_mailto="mailto:sam@seller.example",
        in_reply_to="<first@seller.example>",
    )  # fmt: skip
    report = review_draft(
        DraftUnderReview(
            recipient_email=email.recipient_email,
            subject=composed.subject,
            body_text=composed.body_text,
            message=build_mime_message(email),
            postal_address=SENDER.postal_address,
            unsubscribe_url=UNSUBSCRIBE,
            known_facts=("Ana", "BrightPath", SENDER.name, SENDER.booking_url),
        ),
        SafetyContext(
            default_content_policy(), RecipientPolicy(), False, SendVolume(0, 0), SendLimits()
        ),
    )
    assert report.findings == []
    assert composed.subject == "Re: Your demo request for BrightPath"
    assert composed.body_text.startswith(f"{VOICES[voice].greeting} Ana,")
    assert UNSUBSCRIBE in composed.body_text


def test_contractions_follow_the_reps_voice():
    step = load_follow_up_plan().step(1)
    assert step is not None
    facts = FollowUpFacts("Ana", "", "Your demo request")
    formal = compose_follow_up(step, facts, VoiceProfile(uses_contractions=False), SENDER, "u")
    casual = compose_follow_up(step, facts, VoiceProfile(), SENDER, "u")
    assert "I am following up" in formal.body_text and "I'm following up" in casual.body_text


def test_nothing_the_submitter_typed_reaches_the_follow_up_but_clean_names():
    step = load_follow_up_plan().step(1)
    assert step is not None
    facts = FollowUpFacts(
        "Ana\nBcc: x@evil.test", "Acme <a href='https://evil.test'>", "Your demo request"
    )
    composed = compose_follow_up(step, facts, VoiceProfile(), SENDER, UNSUBSCRIBE)
    assert "evil" not in composed.body_text and "Bcc" not in composed.body_text
    assert composed.body_text.startswith("Hello,")

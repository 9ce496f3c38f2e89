"""DESIGN I-11: the form is untrusted input. Real names in any script survive; line breaks,
headers, addresses, links and markup never reach the email and send the lead to a person."""

from __future__ import annotations

import email
from email import policy as email_policy

import pytest

from salesagent_dagster.domain.approval_rules import DecisionInputs, Outcome, RuleSettings, decide
from salesagent_dagster.domain.draft_writer import DraftFacts, SenderIdentity, compose_draft
from salesagent_dagster.domain.lead_profile import build_lead_profile
from salesagent_dagster.domain.mime_message import OutgoingEmail, build_mime_message
from salesagent_dagster.domain.safety.content import default_content_policy
from salesagent_dagster.domain.safety.draft_review import (
    DraftUnderReview,
    SafetyContext,
    review_draft,
)
from salesagent_dagster.domain.safety.findings import OVERRIDABLE_RULES
from salesagent_dagster.domain.safety.form_input import (
    SUSPICIOUS_INPUT,
    clean_company_name,
    clean_job_title,
    clean_person_name,
    clean_subject_line,
    recipient_display_name,
    screen_message,
)
from salesagent_dagster.domain.safety.recipient import RecipientPolicy
from salesagent_dagster.domain.send_limits import SendLimits, SendVolume
from salesagent_dagster.domain.voice_profile import DEFAULT_VOICE

# The three cases an outside tester sent through with real sends on (issue 11).
BCC_IN_FIRST_NAME = "Eve\r\nBcc: victim@evil.test"
HEADERS_IN_COMPANY = "Harbor Robotics\r\nCc: attacker@evil.test\r\nX-Injected: yes"
SCRIPT_MESSAGE = (
    "Hi! <script>alert(1)</script> <img src=x onerror=alert(1)> "
    '<a href="javascript:alert(1)">see the demo</a> or javascript:alert(2)'
)

SENDER = SenderIdentity(
    "Sam Rep", "sam@seller.io", "Seller Inc, 1 Main St, Austin, TX", "https://seller.io/book"
)
UNSUB = "https://seller.io/unsubscribe?lead=sub_1&sig=abc"


@pytest.mark.parametrize(
    "name",
    [
        "José", "Zoë", "O'Brien", "O\u2019Brien", "Jean-Luc", "Nguyễn", "Nguyễn Văn An",
        "李雷", "山田 太郎", "ユーリ", "김민준", "María de los Ángeles", "Müller-Łukasiewicz",
        "Ñúñez", "अर्जुन", "สมชาย", "محمد", "Ólafur", "St. John", "Jr.", "Ll·l",
    ],
)  # fmt: skip
def test_real_names_in_any_script_survive(name):
    screened = clean_person_name(name)
    assert screened.value == name
    assert screened.findings == ()


def test_look_alike_characters_fold_to_plain_letters():
    assert clean_person_name("Ｊｏｓé").value == "José"
    assert clean_person_name("  Ana   Lucía ").value == "Ana Lucía"


@pytest.mark.parametrize(
    "company",
    ["AT&T", "3M", "7-Eleven", "Acme, Inc.", "Procter & Gamble", "Müller GmbH & Co. KG",
     "L'Oréal", "Northwind Logistics", "株式会社山田"],
)  # fmt: skip
def test_company_names_keep_digits_ampersands_and_commas(company):
    assert clean_company_name(company).value == company


def test_job_titles_keep_the_punctuation_titles_use():
    assert clean_job_title("VP, Sales & Marketing").value == "VP, Sales & Marketing"
    assert clean_job_title("Head of Sales / Ops").value == "Head of Sales / Ops"
    assert clean_job_title("Engineer II").value == "Engineer II"


@pytest.mark.parametrize(
    ("raw", "kinds"),
    [
        (BCC_IN_FIRST_NAME, {"a line break or control character", "header-like text",
                             "an email address"}),
        (HEADERS_IN_COMPANY, {"a line break or control character", "header-like text",
                              "an email address"}),
        ("<script>alert(1)</script>", {"markup or a script"}),
        ("Ana onerror=alert(1)", {"markup or a script"}),
        ("javascript:alert(1)", {"header-like text", "markup or a script"}),
        ("Java Script :alert(1)", {"header-like text", "markup or a script"}),
        ("&lt;b&gt;Ana", {"markup or a script"}),
        ("Ｅｖｅ＜script＞", {"markup or a script"}),
        ("Visit evil.test", {"a link"}),
        ("evil\u200b.test", {"a link"}),
        ("https://evil.test/x", {"header-like text", "a link"}),
        ("www.evil.test", {"a link"}),
        ("ana@evil.test", {"an email address"}),
        ("Eve\u2028Smith", {"a line break or control character"}),
        ("Eve\u202eSmith", {"a line break or control character"}),
        ("Subject: hello", {"header-like text"}),
    ],
)  # fmt: skip
def test_attempts_are_never_used_and_raise_suspicious_input(raw, kinds):
    for screened in (clean_person_name(raw), clean_company_name(raw), clean_job_title(raw)):
        assert screened.value == ""
        assert {f.rule for f in screened.findings} == {SUSPICIOUS_INPUT}
        assert {f.kind for f in screened.findings} == kinds


def test_findings_name_the_field_but_never_quote_it():
    (finding, *_) = clean_company_name(HEADERS_IN_COMPANY).findings
    assert finding.where == "form field company"
    described = " ".join(f.describe() for f in clean_company_name(HEADERS_IN_COMPANY).findings)
    assert "evil" not in described and "Harbor" not in described
    assert not finding.hard and SUSPICIOUS_INPUT in OVERRIDABLE_RULES


@pytest.mark.parametrize("raw", ["Ana 😀", "R2D2", "x" * 51, "John--", "'Ana", "Acme!!!", "."])
def test_odd_but_harmless_names_are_dropped_without_a_finding(raw):
    assert clean_person_name(raw).value == ""
    assert clean_person_name(raw).findings == ()


def test_names_and_companies_are_bounded_in_length():
    assert clean_person_name("Ana " * 6).value == ""  # six words is no first name
    assert clean_company_name("A" * 100).value == "A" * 100
    assert clean_company_name("A" * 101).value == ""


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (SCRIPT_MESSAGE, "markup or a script"),
        ("Great product, see https://evil.test/offer", "a link"),
        ("Cheap watches at evil.test", "a link"),
        ("Write to victim@evil.test for the deal", "an email address"),
        ("Hello\nBcc: victim@evil.test", "header-like text"),
        ("[click](javascript:alert(1))", "markup or a script"),
    ],
)
def test_messages_carrying_links_markup_or_addresses_are_suspicious(message, kind):
    findings = screen_message(message)
    assert kind in {f.kind for f in findings}
    assert {(f.rule, f.where) for f in findings} == {(SUSPICIOUS_INPUT, "form field message")}


@pytest.mark.parametrize(
    "message",
    [
        "We route 4,000 shipments a day and want to see the dispatch module.",
        "Note: pricing matters.\nAlso: can we start in March?",
        "Can you bill card 4111 1111 1111 1111? We want guaranteed results.",
        "We have <50 people, e.g. Ph.D. researchers.",
    ],
)
def test_ordinary_messages_are_not_suspicious(message):
    assert screen_message(message) == ()


def test_the_profile_stores_cleaned_fields_and_the_findings():
    profile, _ = build_lead_profile(
        {
            "email": "eve@harbor-robotics.io",
            "firstname": BCC_IN_FIRST_NAME,
            "lastname": "O'Brien",
            "company": HEADERS_IN_COMPANY,
            "jobtitle": "CTO",
            "message": SCRIPT_MESSAGE,
        }
    )
    assert (profile.first_name, profile.last_name, profile.company) == ("", "O'Brien", "")
    assert profile.job_title == "CTO"
    assert {f.where for f in profile.input_findings} == {
        "form field first name",
        "form field company",
        "form field message",
    }
    clean, _ = build_lead_profile({"email": "zoe@acme.io", "firstname": "Zoë", "company": "Acme"})
    assert clean.input_findings == ()


def _draft(**overrides):
    base = {
        "first_name": "José", "company": "Acme", "job_title": "CTO", "industry": "",
        "left_message": True, "replied_before": False,
    }  # fmt: skip
    base.update(overrides)
    return compose_draft(DraftFacts(**base), DEFAULT_VOICE, SENDER, UNSUB)


def test_attacker_name_and_company_give_a_neutral_greeting_and_a_bare_subject():
    draft = _draft(first_name=BCC_IN_FIRST_NAME, company=HEADERS_IN_COMPANY, job_title="<b>x</b>")
    assert draft.subject == "Your demo request"
    assert draft.body_text.startswith("Hello,\n")
    for text in (draft.subject, draft.body_text):
        assert "evil" not in text and "Bcc" not in text and "Injected" not in text
        assert "Harbor" not in text and "<b>" not in text


def test_a_thread_subject_is_answered_only_when_it_is_clean_text():
    assert _draft(thread_subject="Routing question").subject == "Re: Routing question"
    assert clean_subject_line("Re: Helios and routing") == "Re: Helios and routing"
    for subject in ("Deal at evil.test", "Hi\r\nBcc: x@evil.test", "<b>now</b>"):
        assert _draft(thread_subject=subject).subject == "Your demo request for Acme"


def test_the_to_header_carries_only_cleaned_names():
    assert recipient_display_name("José", "Müller") == "José Müller"
    assert recipient_display_name(BCC_IN_FIRST_NAME, "O'Brien") == "O'Brien"
    message = build_mime_message(
        OutgoingEmail(
            sender_name="Sam Rep", sender_email="sam@seller.io",
            recipient_name=recipient_display_name("Eve Bcc: victim@evil.test", ""),
            recipient_email="eve@harbor-robotics.io", subject="Your demo request",
            body_text="Hello,\n\n--\nfooter", message_id="<m1@seller.io>",
            unsubscribe_url=UNSUB, unsubscribe_mailto="mailto:sam@seller.io?subject=unsubscribe",
        )
    )  # fmt: skip
    parsed = email.message_from_bytes(message.as_bytes(), policy=email_policy.default)
    assert "evil" not in str(parsed["To"]) and "Bcc" not in parsed


def _review(input_findings):
    draft = _draft()
    message = build_mime_message(
        OutgoingEmail(
            sender_name="Sam Rep", sender_email="sam@seller.io", recipient_name="José",
            recipient_email="jose@acme.io", subject=draft.subject, body_text=draft.body_text,
            message_id="<m1@seller.io>", unsubscribe_url=UNSUB,
            unsubscribe_mailto="mailto:sam@seller.io?subject=unsubscribe",
        )
    )  # fmt: skip
    under_review = DraftUnderReview(
        recipient_email="jose@acme.io", subject=draft.subject, body_text=draft.body_text,
        message=message, postal_address=SENDER.postal_address, unsubscribe_url=UNSUB,
        known_facts=("José", "Acme", "CTO", SENDER.name, SENDER.booking_url,
                     SENDER.postal_address),
        input_findings=input_findings,
    )  # fmt: skip
    limits = SendLimits()
    context = SafetyContext(
        content_policy=default_content_policy(),
        recipient_policy=RecipientPolicy(),
        is_suppressed=False,
        volume=SendVolume(to_contact_in_window=0, from_mailbox_today=0),
        limits=limits,
    )
    return review_draft(under_review, context)


def test_suspicious_input_is_a_soft_finding_that_always_asks_a_person():
    clean = _review(())
    assert clean.findings == []
    profile, _ = build_lead_profile({"email": "jose@acme.io", "message": SCRIPT_MESSAGE})
    report = _review(profile.input_findings)
    assert [f.rule for f in report.by_check["form_input_is_clean"]] == [SUSPICIOUS_INPUT]
    assert report.hard_findings == []
    # Even the strongest approval rule cannot send it unattended; nor does the engine reject.
    decision = decide(
        DecisionInputs(
            replied_before=True, known_good=True, icp_score=1.0, domain_verified=True,
            review_findings=tuple(f.describe() for f in report.soft_findings),
        ),
        RuleSettings(),
    )  # fmt: skip
    assert decision.outcome == Outcome.NEEDS_REVIEW
    assert "suspicious_input" in decision.rationale

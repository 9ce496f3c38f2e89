import base64
import email
from email import policy as email_policy

import pytest

from salesagent_dagster.domain.draft_writer import DraftFacts, SenderIdentity, compose_draft
from salesagent_dagster.domain.mime_message import (
    HeaderInjection,
    OutgoingEmail,
    build_mime_message,
    encode_for_gmail,
    is_our_message_id,
    new_message_id,
)
from salesagent_dagster.domain.safety.compliance import (
    check_compliance_footer,
    check_unsubscribe_headers,
)
from salesagent_dagster.domain.voice_profile import DEFAULT_VOICE, learn_voice_profile

SENDER = SenderIdentity(
    "Sam Rep", "sam@seller.io", "Seller Inc, 1 Main St, Austin, TX", "https://seller.io/book"
)
UNSUB = "https://seller.io/unsubscribe?lead=sub_1&sig=abc"


def facts(**overrides):
    base = {
        "first_name": "José", "company": "Acme", "job_title": "CTO", "industry": "Software",
        "left_message": True, "replied_before": False,
    }  # fmt: skip
    base.update(overrides)
    return DraftFacts(**base)


def test_draft_uses_voice_facts_and_footer():
    draft = compose_draft(facts(), DEFAULT_VOICE, SENDER, UNSUB)
    assert draft.subject == "Your demo request for Acme"
    assert draft.body_text.startswith("Hi José,")
    # The message is referred to, never quoted (DESIGN I-11): the writer gets no text of it.
    assert "read the note you left" in draft.body_text
    assert "as CTO" in draft.body_text
    assert check_compliance_footer(draft.body_text, SENDER.postal_address, UNSUB) == []


def test_brief_formal_voice_changes_the_template():
    voice = learn_voice_profile(["Dear Kim,\nThank you. We are ready.\nRegards,\nSam"])
    draft = compose_draft(facts(first_name=""), voice, SENDER, UNSUB)
    assert draft.template == "brief"
    assert draft.body_text.startswith("Hello,\n")
    assert "we are glad" in draft.body_text
    assert "Regards," in draft.body_text


def test_voice_is_learned_from_own_text_not_quotes():
    bodies = [
        "Hey Ana,\nIt's great you're in. We'll talk soon!\nCheers,\nSam\n\nOn Mon, Ana wrote:\n> Dear Sam, long quoted text here that is formal",
        "Hey Bo,\nThanks for the note, I'll send it over today.\nCheers,\nSam",
    ]
    voice = learn_voice_profile(bodies)
    assert (voice.greeting, voice.sign_off, voice.uses_contractions) == ("Hey", "Cheers", True)
    assert voice.sample_count == 2
    assert learn_voice_profile([]) == DEFAULT_VOICE


def outgoing(**overrides):
    base = {
        "sender_name": "Sam Rep", "sender_email": "sam@seller.io", "recipient_name": "José Müller",
        "recipient_email": "jose@acme.io", "subject": "Ihre Demo-Anfrage für Zürich",
        "body_text": "Hi José,\n\nSee https://seller.io/book\n\n--\nfooter", "message_id": "<m1@seller.io>",
        "unsubscribe_url": UNSUB, "unsubscribe_mailto": "mailto:sam@seller.io?subject=unsubscribe",
    }  # fmt: skip
    base.update(overrides)
    return OutgoingEmail(**base)


def test_mime_round_trips_with_encoded_headers_and_both_parts():
    raw = encode_for_gmail(build_mime_message(outgoing()))
    parsed = email.message_from_bytes(base64.urlsafe_b64decode(raw), policy=email_policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Subject"] == "Ihre Demo-Anfrage für Zürich"
    assert b"=?utf-8?" in base64.urlsafe_b64decode(raw).split(b"\r\n\r\n")[0]
    assert parsed["To"].addresses[0].display_name == "José Müller"
    assert parsed["Message-ID"] == "<m1@seller.io>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Hi José," in text
    assert '<a href="https://seller.io/book">' in html
    assert check_unsubscribe_headers(parsed, UNSUB) == []


def test_threading_headers_when_replying():
    message = build_mime_message(
        outgoing(in_reply_to="<orig@acme.io>", references=("<a@x>", "<orig@acme.io>"))
    )
    assert message["In-Reply-To"] == "<orig@acme.io>"
    assert message["References"] == "<a@x> <orig@acme.io>"


@pytest.mark.parametrize("field", ["subject", "recipient_name", "sender_name", "recipient_email"])
def test_header_injection_is_refused(field):
    with pytest.raises(HeaderInjection, match="line break"):
        build_mime_message(outgoing(**{field: "x\r\nBcc: evil@x.com"}))


def test_message_ids_are_unique_and_on_the_sender_domain():
    first, second = new_message_id("sam@seller.io"), new_message_id("sam@seller.io")
    assert first != second
    assert first.endswith("@seller.io>")


def test_our_message_ids_are_known_by_their_shape_alone():
    assert is_our_message_id(new_message_id("sam@seller.io"))
    assert is_our_message_id(" " + new_message_id("sam@seller.io").strip("<>"))
    assert not is_our_message_id("<CAJ+abc123@mail.gmail.com>")
    assert not is_our_message_id("<salesagent-like.123@elsewhere.io>")

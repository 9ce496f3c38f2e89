"""The reply classifier on specific messages: the traps of WIRE.md (auto-replies, bounces),
opt-outs in four languages, quoted footers, and mail that is broken or huge."""

from __future__ import annotations

import email.policy
from datetime import date
from email.parser import BytesParser

import pytest

from salesagent_dagster.domain.replies import (
    Classification,
    ReplyClassifier,
    ReplyKind,
    RuleClassifier,
    classify_reply,
)
from salesagent_dagster.domain.replies.return_date import return_date

RECEIVED = date(2026, 1, 5)
OUR_ID = "<20260105100000.0001.sub_0123456789abcdef0123@seller.example>"
OUR_FOOTER = (
    "> --\n> Seller Inc., 1 Market Street, Springfield\n"
    "> You are receiving this because you requested a demo. "
    "Unsubscribe: https://seller.example/unsubscribe?k=sub_01&s=9f\n"
)


def parse(raw: str | bytes):
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return BytesParser(policy=email.policy.default).parsebytes(data)


def reply(body: str, *, headers: str = "", subject: str = "Re: Your demo request") -> str:
    return (
        "From: Ana Lopez <ana@brightpath.example>\nTo: Riley Rep <riley@seller.example>\n"
        f"Subject: {subject}\nDate: Tue, 06 Jan 2026 09:00:00 +0100\n"
        f"Message-ID: <r1@brightpath.example>\nIn-Reply-To: {OUR_ID}\n{headers}"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n" + body
    )


def classify(raw: str | bytes, received_on: date = RECEIVED) -> Classification:
    return classify_reply(parse(raw), received_on=received_on)


def dsn(action: str, status: str, *, original: str = "text/rfc822-headers") -> str:
    return (
        "From: MAILER-DAEMON@mail.seller.example (Mail Delivery System)\n"
        "To: riley@seller.example\nSubject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nThe mail system could not deliver your message.\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mail.seller.example\n\n"
        "Final-Recipient: rfc822; ana@brightpath.example\n"
        "Original-Recipient: rfc822;ana@brightpath.example\n"
        f"Action: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} user unknown\n\n"
        f"--B\nContent-Type: {original}\n\n"
        f"Message-ID: {OUR_ID}\nFrom: Riley Rep <riley@seller.example>\n"
        "To: ana@brightpath.example\nSubject: Your demo request\n\n"
        "--B--\n"
    )


# ---- auto-replies (RFC 3834)


def test_x_auto_response_suppress_alone_is_not_an_auto_reply():
    message = reply("Sounds good, Tuesday at 2pm works.", headers="X-Auto-Response-Suppress: All\n")
    assert classify(message).kind == ReplyKind.POSITIVE


def test_auto_submitted_no_is_not_an_auto_reply():
    message = reply("Not interested, thanks.", headers="Auto-Submitted: no\n")
    assert classify(message).kind == ReplyKind.NEGATIVE


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied\n",
        "Auto-Submitted: auto-generated\n",
        "X-Autoreply: yes\n",
        "X-Autorespond: Your demo request\n",
        "Precedence: auto_reply\n",
        "Precedence: bulk\n",
    ],
)
def test_rfc_3834_and_vendor_headers_mark_an_auto_reply(header):
    found = classify(reply("Thanks for your message.", headers=header))
    assert found.kind == ReplyKind.AUTO_REPLY
    assert "header" in found.reason


def test_an_out_of_office_subject_without_headers_is_an_auto_reply_with_its_date():
    found = classify(
        reply("I am away and back on 12 January.", subject="Out of Office: Your demo request")
    )
    assert found == Classification(
        ReplyKind.AUTO_REPLY, "out-of-office subject", return_date=date(2026, 1, 12)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will be back on 12 January.", date(2026, 1, 12)),
        ("Out of the office until 2026-12-15.", date(2026, 12, 15)),
        ("Ich bin bis zum 15.01.2027 nicht im Büro.", date(2027, 1, 15)),
        ("Ab dem 20. Januar bin ich wieder erreichbar.", date(2026, 1, 20)),
        ("Je serai de retour le 3 décembre.", date(2026, 12, 3)),
        ("Je suis absente jusqu'au 1er février.", date(2026, 2, 1)),
        ("Estoy fuera de la oficina hasta el 7 de enero.", date(2026, 1, 7)),
        ("Regreso el 9 de febrero de 2026.", date(2026, 2, 9)),
        ("Back on Monday.", date(2026, 1, 12)),  # 5 January 2026 is a Monday: the next one
        ("I have no idea when I am back.", None),
    ],
)
def test_return_dates_are_read_in_four_languages(text, expected):
    assert return_date(text, RECEIVED) == expected


def test_a_return_date_without_a_year_is_never_in_the_past():
    assert return_date("back on 3 January", date(2026, 12, 20)) == date(2027, 1, 3)
    assert return_date("back on 3 January", date(2026, 1, 3)) == date(2026, 1, 3)


# ---- bounces (RFC 3464 / 6522)


def test_a_dsn_with_5_1_1_is_a_hard_bounce_with_the_recipient_and_our_message_id():
    found = classify(dsn("failed", "5.1.1"))
    assert found.kind == ReplyKind.BOUNCE_HARD
    assert found.bounced_recipient == "ana@brightpath.example"
    assert found.original_message_ids == (OUR_ID,)


def test_a_dsn_returning_the_whole_message_yields_our_message_id():
    found = classify(dsn("failed", "5.1.1", original="message/rfc822"))
    assert found.original_message_ids == (OUR_ID,)


def test_a_delayed_4_4_1_dsn_is_a_soft_bounce():
    found = classify(dsn("delayed", "4.4.1"))
    assert found.kind == ReplyKind.BOUNCE_SOFT
    assert found.bounced_recipient == "ana@brightpath.example"


def test_a_failed_action_with_a_4_x_x_status_is_soft():
    assert classify(dsn("failed", "4.2.2")).kind == ReplyKind.BOUNCE_SOFT


def test_a_mailer_daemon_text_without_dsn_part_is_decided_by_its_status_code():
    base = (
        "From: Mail Delivery System <Mailer-Daemon@mx.brightpath.example>\n"
        "To: riley@seller.example\nSubject: Mail delivery failed\n"
        f"In-Reply-To: {OUR_ID}\n\n"
    )
    hard = classify(base + "ana@brightpath.example\n  550 5.1.1 User unknown\n")
    assert (hard.kind, hard.bounced_recipient) == (ReplyKind.BOUNCE_HARD, "ana@brightpath.example")
    assert hard.original_message_ids == (OUR_ID,)
    soft = classify(base + "ana@brightpath.example\n  452 4.2.2 Mailbox full, will retry\n")
    assert soft.kind == ReplyKind.BOUNCE_SOFT


# ---- opt-outs


def test_a_reply_quoting_our_footer_with_unsubscribe_is_not_an_opt_out():
    body = (
        "Would Thursday work?\n\nOn Mon, Jan 5, 2026 at 10:00 AM Riley Rep "
        "<riley@seller.example> wrote:\n> Hi Ana,\n>\n" + OUR_FOOTER
    )
    assert classify(reply(body)).kind == ReplyKind.QUESTION


def test_footer_lines_quoted_without_any_marker_are_not_an_opt_out():
    body = "Sounds good, let's talk.\n\nUnsubscribe: https://seller.example/unsubscribe?k=1\n"
    assert classify(reply(body)).kind == ReplyKind.POSITIVE


@pytest.mark.parametrize(
    "text",
    [
        "please remove me",
        "Bitte keine E-Mails mehr.",
        "Merci de me désinscrire.",
        "Por favor, dejen de escribirme.",
    ],
)
def test_a_reply_asking_to_stop_is_an_unsubscribe_in_four_languages(text):
    body = f"{text}\n\nOn Mon, Jan 5, 2026, Riley Rep <riley@seller.example> wrote:\n{OUR_FOOTER}"
    found = classify(reply(body))
    assert (found.kind, found.reason) == (ReplyKind.UNSUBSCRIBE, "asks to stop")


def test_the_mailto_unsubscribe_subject_carries_the_key():
    found = classify(reply("", subject="unsubscribe 01ABC"))
    assert found == Classification(
        ReplyKind.UNSUBSCRIBE, "mailto unsubscribe", unsubscribe_key="01ABC"
    )


def test_a_mailto_unsubscribe_sent_by_the_client_with_auto_submitted_is_still_an_opt_out():
    found = classify(
        reply("", subject="unsubscribe sub_1", headers="Auto-Submitted: auto-generated\n")
    )
    assert found.kind == ReplyKind.UNSUBSCRIBE


# ---- bad input never crashes


def test_a_5_mb_body_classifies_on_its_new_text():
    body = "Not interested, thanks.\n\n" + ("lorem ipsum dolor sit amet " * 40 + "\n") * 4700
    assert len(body) > 5_000_000
    found = classify(reply(body))
    assert found.kind == ReplyKind.NEGATIVE


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"garbage without headers",
        b'Content-Type: multipart/mixed; boundary="X"\n\n--X\nContent-Type: text/plain\n\nhi',
        b"Content-Type: multipart/report; report-type=delivery-status\n\nno boundary at all",
        b"Content-Type: message/delivery-status\n\n\x00\xff\xfe",
        b"From: =?utf-8?q?broken\nSubject: =?x-unknown?b?////?=\n\nbody",
        b"Content-Type: text/plain; charset=x-no-such-charset\n\nplease remove me",
        b"Content-Transfer-Encoding: base64\nContent-Type: text/plain\n\n!!!not base64!!!",
        b"Content-Type: text/html\n\n<div><p>unclosed <b>tags <blockquote>",
    ],
)
def test_malformed_mime_does_not_raise(raw):
    assert isinstance(classify(raw).kind, ReplyKind)


def test_an_undecodable_body_asks_a_human_and_never_unsubscribes():
    raw = (
        b"From: ana@brightpath.example\nSubject: Re: Your demo request\n"
        b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + bytes(range(128, 256))
        * 20
    )
    found = classify(raw)
    assert (found.kind, found.reason) == (ReplyKind.QUESTION, "unreadable body")


def test_an_unknown_charset_is_read_as_utf_8_rather_than_dropped():
    raw = b"From: a@b.example\nContent-Type: text/plain; charset=x-no-such\n\nplease remove me"
    assert classify(raw).kind == ReplyKind.UNSUBSCRIBE


def test_an_html_only_reply_is_read_without_its_quoted_history():
    html = (
        '<div>Let\'s talk, Tuesday at 2pm works.</div><div class="gmail_quote">On Mon Riley '
        "wrote:<blockquote>Unsubscribe: https://seller.example/u</blockquote></div>"
    )
    raw = reply(html).replace("text/plain", "text/html")
    assert classify(raw).kind == ReplyKind.POSITIVE


def test_a_model_classifier_can_stand_in_for_the_rules():
    class Always:
        def classify(self, message, *, received_on):
            return Classification(ReplyKind.NOT_NOW, "model")

    model: ReplyClassifier = Always()
    found = classify_reply(parse(reply("hi")), received_on=RECEIVED, classifier=model)
    assert found.reason == "model"
    assert isinstance(RuleClassifier(), ReplyClassifier)

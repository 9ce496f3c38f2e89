"""Gmail's search language as the emulator understands it, term by term."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from salesagent_dagster.sandbox.gmail_query import parse_query

NOW = 1_800_000_000.0
DAY_MS = 86_400_000
ME = "rep@seller.example"


@dataclass
class Msg:
    headers: dict[str, str]
    label_ids: list[str] = field(default_factory=lambda: ["INBOX"])
    internal_date_ms: int = int(NOW * 1000)
    body: str = ""
    has_attachment: bool = False

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def text(self) -> str:
        return self.body


REPLY = Msg(
    {"From": "Ana <ana@acme.io>", "To": ME, "Subject": "Re: demo", "Message-ID": "<a1@acme.io>"},
    label_ids=["INBOX", "UNREAD"],
    body="Sounds good, see you Tuesday.",
)
OLD = Msg(
    {"From": "bo@x.io", "To": ME, "Subject": "old news"},
    internal_date_ms=int(NOW * 1000) - 100 * DAY_MS,
    has_attachment=True,
)
DRAFT = Msg(
    {"From": ME, "To": "ana@acme.io", "Cc": "cy@acme.io", "Subject": "Demo request"},
    label_ids=["DRAFT"],
    body="Our pricing starts at $10.",
)
SPAM = Msg({"From": "win@lottery.example", "Subject": "You won"}, label_ids=["SPAM"])
ALL = (REPLY, OLD, DRAFT, SPAM)


def matching(query: str) -> list[Msg]:
    parsed = parse_query(query, now=NOW, me=ME)
    return [m for m in ALL if parsed.matches(m)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rfc822msgid:a1@acme.io", [REPLY]),
        ("rfc822msgid:<a1@acme.io>", [REPLY]),
        ("rfc822msgid:a1@ACME.io", []),  # Message-IDs compare exactly
        ("from:ana@acme.io newer_than:90d", [REPLY]),
        ("from:ANA", [REPLY]),
        ("from:me", [DRAFT]),
        ("to:cy@acme.io", [DRAFT]),  # to: covers Cc and Bcc too
        ("cc:cy@acme.io", [DRAFT]),
        ("newer_than:90d", [REPLY, DRAFT, SPAM]),
        ("newer_than:2m", [REPLY, DRAFT, SPAM]),
        ("older_than:30d", [OLD]),
        ("newer_than:1y older_than:1h", [OLD]),
        ("after:2027/01/01", [REPLY, DRAFT, SPAM]),  # NOW is 2027-01-15, OLD 100 days before
        ("before:2027-01-01", [OLD]),
        ("after:01/14/2027 before:01/16/2027", [REPLY, DRAFT, SPAM]),
        (f"after:{int(NOW) - 60}", [REPLY, DRAFT, SPAM]),
        ("in:drafts", [DRAFT]),
        ("-in:drafts", [REPLY, OLD, SPAM]),
        ("in:inbox is:unread", [REPLY]),
        ("is:read in:inbox", [OLD]),
        ("label:unread", [REPLY]),
        ("in:anywhere from:lottery", [SPAM]),
        ("has:attachment", [OLD]),
        ("subject:demo", [REPLY, DRAFT]),
        ('subject:"demo request"', [DRAFT]),
        ("subject:(demo request)", [DRAFT]),
        ("subject:{news won}", [OLD, SPAM]),
        ("subject:demo -from:ana", [DRAFT]),
        ("{from:bo@x.io in:drafts}", [OLD, DRAFT]),
        ("from:bo@x.io OR in:drafts", [OLD, DRAFT]),
        ("(from:bo@x.io OR in:drafts) -subject:news", [DRAFT]),
        ('"pricing starts"', [DRAFT]),
        ("pricing", [DRAFT]),
        ("pric", []),  # whole words, like Gmail
        ("TUESDAY", [REPLY]),
        ("ana@acme.io", [REPLY, DRAFT]),  # free text also searches sender and recipients
        ("category:promotions", []),  # unknown operator: free text
        ("newer_than:soon", []),  # a value Gmail does not understand: free text, no error
        ("", list(ALL)),
    ],
)
def test_query_terms(query, expected):
    assert matching(query) == expected


@pytest.mark.parametrize(
    ("query", "asks"),
    [
        ("in:spam", True),
        ("label:trash", True),
        ("in:anywhere", True),
        ("-in:trash", False),
        ("in:inbox", False),
    ],
)
def test_spam_and_trash_are_searched_only_when_asked(query, asks):
    assert parse_query(query).mentions_spam_or_trash is asks


def test_stray_brackets_and_dangling_operators_do_not_break_parsing():
    assert matching("subject:demo )") == [REPLY, DRAFT]
    assert matching("OR subject:demo OR") == [REPLY, DRAFT]
    assert matching("-") == list(ALL)

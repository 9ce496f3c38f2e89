from dataclasses import dataclass, field

import pytest

from salesagent_dagster.sandbox.gmail_query import parse_query

NOW = 1_800_000_000.0
DAY_MS = 86_400_000


@dataclass
class Msg:
    headers: dict[str, str]
    label_ids: list[str] = field(default_factory=lambda: ["INBOX"])
    internal_date_ms: int = int(NOW * 1000)
    body: str = ""

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def text(self) -> str:
        return self.body


REPLY = Msg({"From": "Ana <ana@acme.io>", "Subject": "Re: demo", "Message-ID": "<a1@acme.io>"})
OLD = Msg({"From": "bo@x.io", "Subject": "old"}, internal_date_ms=int(NOW * 1000) - 100 * DAY_MS)
DRAFT = Msg({"To": "ana@acme.io", "Subject": "demo"}, label_ids=["DRAFT"], body="pricing")


@pytest.mark.parametrize(
    ("query", "matching"),
    [
        ("rfc822msgid:a1@acme.io", [REPLY]),
        ("rfc822msgid:<a1@acme.io>", [REPLY]),
        ("from:ana@acme.io newer_than:90d", [REPLY]),
        ("newer_than:90d", [REPLY, DRAFT]),
        ("older_than:30d", [OLD]),
        ("-in:drafts", [REPLY, OLD]),
        ("in:drafts to:ana@acme.io", [DRAFT]),
        ("subject:demo -from:ana", [DRAFT]),
        ("{from:bo@x.io in:drafts}", [OLD, DRAFT]),
        ('"pricing"', [DRAFT]),
        ("after:2020/01/01 is:unread", []),
    ],
)
def test_query_terms(query, matching):
    parsed = parse_query(query, now=NOW)
    assert [m for m in (REPLY, OLD, DRAFT) if parsed.matches(m)] == matching


def test_bad_duration_is_an_error():
    with pytest.raises(ValueError):
        parse_query("newer_than:soon")

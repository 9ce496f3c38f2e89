"""A lead who wrote to the rep before gets an answer in that same Gmail thread: threadId,
In-Reply-To, References and the matching 'Re:' subject, checked on the bytes Gmail got."""

from __future__ import annotations

import pytest
import requests
from dagster import DagsterInstance

from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER
from salesagent_dagster_tests.integration.pipeline_harness import (
    gmail_state,
    parse_raw,
    process_once,
)


def earlier_mail(gmail_url: str, subject: str, references: str = "") -> dict[str, str]:
    raw_headers = {"from": "Ana Lopez <ana@brightpath.io>", "subject": subject, "body": "Hi!"}
    answer = requests.post(
        f"{gmail_url}/_admin/inbound",
        json={"mailbox": SANDBOX_SENDER, **raw_headers, "in_reply_to": references or None},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


@pytest.mark.parametrize(("real_sends", "box"), [("true", "sent"), ("false", "drafts")])
def test_answer_joins_the_thread_they_started(sandbox, dagster_home, monkeypatch, real_sends, box):
    monkeypatch.setenv("ALLOW_REAL_SENDS", real_sends)
    earlier = earlier_mail(sandbox.gmail.url, "Routing question")
    add_submission(
        sandbox.hubspot.url,
        {"email": "ana@brightpath.io", "firstname": "Ana", "company": "BrightPath"},
    )
    with DagsterInstance.get() as instance:
        (outcome,) = process_once(instance).outcomes
    assert outcome.decision == "auto_approve" and outcome.confidence == 0.95
    (stored,) = gmail_state(sandbox.gmail.url)[box]
    message = parse_raw(stored["raw"])
    assert message["Subject"] == "Re: Routing question"
    assert message["In-Reply-To"] == earlier["messageId"]
    assert message["References"].split()[-1] == earlier["messageId"]
    assert stored["threadId"] == earlier["threadId"]


def test_subject_already_a_reply_is_not_prefixed_twice(sandbox, dagster_home):
    first = earlier_mail(sandbox.gmail.url, "Re: Your demo request for BrightPath")
    add_submission(
        sandbox.hubspot.url,
        {"email": "ana@brightpath.io", "firstname": "Ana", "company": "BrightPath"},
    )
    with DagsterInstance.get() as instance:
        process_once(instance)
    (stored,) = gmail_state(sandbox.gmail.url)["drafts"]
    message = parse_raw(stored["raw"])
    assert message["Subject"] == "Re: Your demo request for BrightPath"
    assert message["In-Reply-To"] == first["messageId"]

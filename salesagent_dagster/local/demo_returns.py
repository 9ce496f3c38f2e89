"""The demo's second act: what comes back, and the follow-ups that depend on it.

After the first tick has drafted the first emails, four leads answer the way real people
(and real mail servers) do: a positive reply, an out-of-office with a return date and a hard
bounce are put into the rep's mailbox as Gmail would hold them, and one lead presses the
one-click unsubscribe in its email (an RFC 8058 POST to the edge, served for real). The rest
stay silent. The next tick reads the mailbox, honours each answer, and releases the
follow-ups that are due: sent to the silent leads, withheld from the others.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from salesagent_dagster.domain.mime_message import decode_from_gmail
from salesagent_dagster.local.sandbox_replies import put_reply
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.store import follow_ups, outbox, send_ledger

# In the order the drafted leads are answered; the leads after these stay silent.
ANSWERS = ("positive", "ooo", "bounce", "one-click unsubscribe")
# Due almost at once, so the next tick finds the silent leads' first follow-up due.
DEMO_FOLLOW_UP_DAYS = "0.00001"
ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class DemoAnswer:
    partition_key: str
    answer: str  # one of ANSWERS, or "silent"


def drafted_first_emails(app_store: AppStoreResource, keys: Sequence[str]) -> list[str]:
    """The leads among `keys` whose first email reached Gmail (as a draft: sends are off)."""
    with app_store.session() as session:
        return [
            key
            for key in keys
            if (entry := send_ledger.get_entry(session, key)) is not None
            and entry.state in send_ledger.DONE_STATES
        ]


def answer_first_emails(
    app_store: AppStoreResource, gmail: GmailResource, keys: Sequence[str]
) -> list[DemoAnswer]:
    """Give the first drafted leads one answer each (ANSWERS), leave the rest silent."""
    answers = []
    for index, key in enumerate(keys):
        answer = ANSWERS[index] if index < len(ANSWERS) else "silent"
        if answer == "one-click unsubscribe":
            _press_one_click(app_store, key)
        elif answer != "silent":
            put_reply(app_store, gmail, key, answer)
        answers.append(DemoAnswer(key, answer))
    return answers


def _press_one_click(app_store: AppStoreResource, key: str) -> None:
    """What a mail client does for RFC 8058: POST to the https link in List-Unsubscribe."""
    with app_store.session() as session:
        prepared = outbox.get_outbox(session, key)
        if prepared is None:
            raise LookupError(f"{key}: no composed email to unsubscribe from")
        header = str(decode_from_gmail(prepared.raw)["List-Unsubscribe"])
    link = next(url for url in re.findall(r"<([^>]+)>", header) if url.startswith("http"))
    request = urllib.request.Request(link, data=ONE_CLICK_BODY, method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the local edge)
        if response.status != 200:
            raise RuntimeError(f"the edge answered {response.status} to a one-click unsubscribe")


def describe_follow_ups(app_store: AppStoreResource, answers: Sequence[DemoAnswer]) -> str:
    """Per answered lead: what it answered and what became of its first follow-up."""
    lines = ["What came back, and the first follow-up of each lead:"]
    with app_store.session() as session:
        for item in answers:
            steps = follow_ups.steps_of(session, item.partition_key)
            first = steps[0] if steps else None
            state = (
                f"{first.state}{f' ({first.reason})' if first.reason else ''}"
                if first is not None
                else "none scheduled (the opt-out cancelled it)"
            )
            lines.append(f"  - {item.partition_key}  {item.answer:<22} follow-up 1: {state}")
    return "\n".join(lines)

"""Reading a mailbox's history through the official client against the emulator: every page,
`history` left out when empty, 404 for a startHistoryId older than Gmail keeps, the resync
listing, raw messages, and mail put in with users.messages.insert joining our thread."""

from __future__ import annotations

import pytest

from salesagent_dagster.resources.errors import HistoryTooOld, NotFound
from salesagent_dagster.sandbox.gmail_inbound import insert_incoming, reply_message
from salesagent_dagster_tests.resources.conftest import MAILBOX, gmail_resource, raw_message


def test_history_reads_every_page_and_says_where_to_start_next(gmail_emulator):
    gmail = gmail_resource(gmail_emulator)
    start = gmail.current_history_id()
    empty = gmail.history_since(start)
    assert (empty.message_ids, empty.history_id) == ([], start)
    delivered = [
        gmail_emulator.deliver_inbound(MAILBOX, f"p{n}@acme.io", f"Hi {n}", "Body").id
        for n in range(520)
    ]
    page = gmail.history_since(start)
    assert page.message_ids == delivered and page.api_calls == 2  # 500 per page
    assert int(page.history_id) > int(start)
    assert gmail.history_since(page.history_id).message_ids == []


def test_sent_mail_shows_in_history_with_its_labels(gmail_emulator):
    gmail = gmail_resource(gmail_emulator)
    start = gmail.current_history_id()
    sent = gmail.send_raw(raw_message("<h1@seller.example>"))
    (added,) = gmail.history_since(start).added
    assert added.message_id == sent.message_id and "SENT" in added.label_ids


def test_history_older_than_gmail_keeps_is_a_typed_404(gmail_emulator):
    gmail = gmail_resource(gmail_emulator)
    start = gmail.current_history_id()
    gmail_emulator.deliver_inbound(MAILBOX, "ana@acme.io", "Hello", "Body")
    gmail_emulator.forget_history(MAILBOX)
    with pytest.raises(HistoryTooOld) as caught:
        gmail.history_since(start)
    assert isinstance(caught.value, NotFound)
    recent = gmail.recent_message_ids(7)
    assert len(recent) == 1


def test_a_start_id_the_mailbox_never_issued_also_asks_for_a_resync(gmail_emulator):
    """Gmail answers 400 for a startHistoryId it cannot read (a mailbox reconnected to
    another account keeps our old cursor): no retry mends that, a resync does."""
    gmail = gmail_resource(gmail_emulator)
    gmail_emulator.add_fault("/history", "status", method="GET", status=400)
    with pytest.raises(HistoryTooOld):
        gmail.history_since(gmail.current_history_id())


def test_inserted_reply_joins_our_thread_and_reads_back_raw(gmail_emulator):
    gmail = gmail_resource(gmail_emulator)
    ours = gmail.send_raw(raw_message("<ours@seller.example>"))
    original = gmail.get_raw_message(ours.message_id)
    assert b"<ours@seller.example>" in original.raw and original.thread_id == ours.thread_id
    reply = reply_message(original.raw, "positive")
    answer = insert_incoming(gmail.service, reply, ours.thread_id)
    assert answer["threadId"] == ours.thread_id and "INBOX" in answer["labelIds"]
    fetched = gmail.get_raw_message(answer["id"])
    assert fetched.raw == reply and b"In-Reply-To: <ours@seller.example>" in fetched.raw
    # Without a threadId, Gmail threads it by its References, as received mail.
    second = insert_incoming(gmail.service, reply_message(original.raw, "negative"))
    assert second["threadId"] == ours.thread_id

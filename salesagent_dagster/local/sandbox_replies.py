"""`salesagent sandbox reply KEY --kind ...`: mail coming back for a lead we wrote to, put
into the Gmail emulator the way real Gmail would hold it (`users.messages.insert` through
the official client, in the thread of our message), for the demo and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.sandbox.gmail_inbound import KINDS, insert_incoming, reply_message
from salesagent_dagster.services.mailboxes import gmail_for
from salesagent_dagster.store import send_ledger

REPLY_KINDS = KINDS


@dataclass(frozen=True)
class PutReply:
    gmail_message_id: str
    thread_id: str
    mailbox: str


def put_reply(
    app_store: AppStoreResource,
    gmail: GmailResource,
    partition_key: str,
    kind: str,
    *,
    return_on: date | None = None,
    sender: str | None = None,
) -> PutReply:
    """Insert a `kind` answer (positive, negative, ooo, bounce, unsubscribe) to the lead's
    first email into the mailbox that wrote it. Raises LookupError when nothing was sent."""
    with app_store.session() as session:
        entry = send_ledger.get_entry(session, partition_key)
        if entry is None or not entry.gmail_message_id:
            raise LookupError(f"{partition_key}: no email of ours to answer")
        mailbox, ours, thread_id = entry.mailbox, entry.gmail_message_id, entry.gmail_thread_id
    rep = gmail_for(mailbox, gmail, app_store)
    original = rep.get_raw_message(ours)
    raw = reply_message(original.raw, kind, return_on=return_on, sender=sender)
    # Gmail threads a bounce and a reply onto ours; a mailto unsubscribe is a new message.
    in_thread = thread_id if kind != "unsubscribe" else None
    answer = insert_incoming(rep.service, raw, in_thread)
    return PutReply(str(answer["id"]), str(answer["threadId"]), mailbox)

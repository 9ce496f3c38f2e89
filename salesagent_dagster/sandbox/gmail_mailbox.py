"""One Gmail mailbox: messages stored as the RFC 822 bytes the client sent, drafts, threads
and the history log, rendered as Gmail API resources. Not thread-safe by itself: the emulator
calls it under its lock.

Gmail behaviour kept here: it adds Message-ID, Date and From when a sent message lacks them;
an API-inserted message joins the `threadId` it names only if that thread exists and the
subjects match (modulo Re:/Fwd:), else it starts a thread; received mail joins the thread of
the message its In-Reply-To/References name, if the subject matches; every change gets a new,
increasing historyId; sending a draft deletes the draft's message and adds a new sent one.
"""

from __future__ import annotations

import contextlib
import email
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.utils import format_datetime, make_msgid, parsedate_to_datetime
from typing import Any

from salesagent_dagster.sandbox.gmail_message import StoredMessage, b64url, base_subject
from salesagent_dagster.sandbox.http_server import ApiError

HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
_HISTORY_KEYS = {
    "messageAdded": "messagesAdded",
    "messageDeleted": "messagesDeleted",
    "labelAdded": "labelsAdded",
    "labelRemoved": "labelsRemoved",
}


@dataclass
class HistoryRecord:
    id: int
    kind: str
    message: dict[str, Any]  # id, threadId, labelIds as they were then
    label_ids: list[str] = field(default_factory=list)  # the labels a label change touched

    def resource(self) -> dict[str, Any]:
        change: dict[str, Any] = {"message": self.message}
        if self.kind in ("labelAdded", "labelRemoved"):
            change["labelIds"] = self.label_ids
        if self.kind == "messageDeleted":
            change["message"] = {k: v for k, v in self.message.items() if k != "labelIds"}
        plain = {"id": self.message["id"], "threadId": self.message["threadId"]}
        return {"id": str(self.id), "messages": [plain], _HISTORY_KEYS[self.kind]: [change]}


class Mailbox:
    def __init__(self, address: str, ids: Iterator[int], history_id: int = 1000) -> None:
        self.address = address
        self._ids = ids
        self.messages: dict[str, StoredMessage] = {}
        self.drafts: dict[str, str] = {}  # draft id -> message id
        self.history: list[HistoryRecord] = []
        self.history_id = history_id
        self.history_floor = history_id  # older startHistoryIds are "too old": 404

    def next_id(self) -> str:
        """16 hex digits, like Gmail's message ids; a thread's id is its first message's."""
        return f"{next(self._ids):x}"

    def new_draft_id(self) -> str:
        return f"r-{next(self._ids) % 10**19}"

    # -- changes ---------------------------------------------------------------------------

    def add(
        self,
        raw: bytes,
        labels: list[str],
        thread_id: str | None = None,
        received: bool = False,
        when_ms: int | None = None,
    ) -> StoredMessage:
        if not received:
            raw = self._with_gmail_headers(raw)
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        message = StoredMessage(self.next_id(), "", list(labels), raw, when_ms or now_ms)
        message.thread_id = (
            self._received_thread(message)
            if received
            else self._requested_thread(message, thread_id)
        ) or message.id
        self.messages[message.id] = message
        self._record("messageAdded", message)
        return message

    def add_incoming(
        self, raw: bytes, labels: list[str], thread_id: str | None, use_date_header: bool
    ) -> StoredMessage:
        """A message inserted or imported through the API: stored as given (nothing added),
        in the named thread when Gmail would allow it, else threaded by its headers."""
        when_ms = None
        if use_date_header:
            with contextlib.suppress(TypeError, ValueError, IndexError):
                parsed = email.message_from_bytes(raw, policy=policy.default)
                dated = parsedate_to_datetime(str(parsed["Date"]))
                dated = dated if dated.tzinfo else dated.replace(tzinfo=UTC)
                when_ms = int(dated.timestamp() * 1000)
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        message = StoredMessage(self.next_id(), "", list(labels), raw, when_ms or now_ms)
        message.thread_id = (
            self._requested_thread(message, thread_id)
            or self._received_thread(message)
            or message.id
        )
        self.messages[message.id] = message
        self._record("messageAdded", message)
        return message

    def delete(self, message_id: str) -> StoredMessage:
        message = self.messages.pop(message_id)
        self._record("messageDeleted", message)
        return message

    def relabel(self, message: StoredMessage, add: list[str], remove: list[str]) -> None:
        added = [label for label in add if label not in message.label_ids]
        removed = [label for label in remove if label in message.label_ids]
        message.label_ids = [label for label in message.label_ids if label not in removed] + added
        if added:
            self._record("labelAdded", message, added)
        if removed:
            self._record("labelRemoved", message, removed)

    def forget_history(self) -> None:
        """As if the retained history had expired: older startHistoryIds now get 404."""
        self.history.clear()
        self.history_floor = self.history_id

    def _record(self, kind: str, message: StoredMessage, labels: list[str] | None = None) -> None:
        self.history_id += 1
        message.history_id = self.history_id
        self.history.append(HistoryRecord(self.history_id, kind, message.ref(True), labels or []))

    def _with_gmail_headers(self, raw: bytes) -> bytes:
        """What Gmail adds to a message it sends for the user, prepended like a relay would."""
        parsed = email.message_from_bytes(raw, policy=policy.default)
        newline = b"\r\n" if b"\r\n" in raw else b"\n"
        added = []
        if parsed.get("From") is None:
            added.append(f"From: {self.address}")
        if parsed.get("Date") is None:
            added.append(f"Date: {format_datetime(datetime.now(UTC))}")
        if parsed.get("Message-ID") is None:
            added.append(f"Message-ID: {make_msgid(domain='mail.gmail.com')}")
        return b"".join(line.encode() + newline for line in added) + raw

    def _requested_thread(self, message: StoredMessage, thread_id: str | None) -> str | None:
        if not thread_id:
            return None
        subject = base_subject(message.header("Subject"))
        members = [m for m in self.messages.values() if m.thread_id == thread_id]
        return (
            thread_id
            if any(base_subject(m.header("Subject")) == subject for m in members)
            else None
        )

    def _received_thread(self, message: StoredMessage) -> str | None:
        named = set(
            re.findall(
                r"<[^>]+>", message.header("In-Reply-To") + " " + message.header("References")
            )
        )
        subject = base_subject(message.header("Subject"))
        for other in self.messages.values():
            if (
                other.header("Message-ID").strip() in named
                and base_subject(other.header("Subject")) == subject
            ):
                return other.thread_id
        return None

    # -- reading ---------------------------------------------------------------------------

    def get(self, message_id: str) -> StoredMessage:
        if message_id not in self.messages:
            raise ApiError(404, "Requested entity was not found.")
        return self.messages[message_id]

    def newest_first(self) -> list[StoredMessage]:
        return sorted(
            self.messages.values(), key=lambda m: (m.internal_date_ms, m.id), reverse=True
        )

    def draft_message(self, draft_id: str) -> StoredMessage:
        if draft_id not in self.drafts:
            raise ApiError(404, "Requested entity was not found.")
        return self.messages[self.drafts[draft_id]]

    def thread(self, thread_id: str) -> list[StoredMessage]:
        messages = sorted(
            (m for m in self.messages.values() if m.thread_id == thread_id),
            key=lambda m: (m.internal_date_ms, m.id),
        )
        if not messages:
            raise ApiError(404, "Requested entity was not found.")
        return messages

    def history_since(self, start: int, types: list[str], label: str | None) -> list[HistoryRecord]:
        if start < self.history_floor:
            raise ApiError(404, "Requested entity was not found.")
        unknown = set(types) - set(HISTORY_TYPES)
        if unknown:
            raise ApiError(400, f"Invalid value at 'history_types' ({sorted(unknown)[0]})")
        return [
            record
            for record in self.history
            if record.id > start
            and (not types or record.kind in types)
            and (not label or label in record.message["labelIds"] or label in record.label_ids)
        ]

    def view(self, message: StoredMessage, draft_id: str | None = None) -> dict[str, Any]:
        """For /_admin/state: decoded headers next to the raw bytes."""
        return {
            "id": message.id,
            "threadId": message.thread_id,
            "labelIds": list(message.label_ids),
            "raw": b64url(message.raw),
            "to": (message.recipients or [""])[0],
            "recipients": message.recipients,
            "from": message.header("From"),
            "subject": message.header("Subject"),
            "messageId": message.header("Message-ID"),
            "internalDate": message.internal_date_ms,
            "draftId": draft_id,
            "headers": [{"name": k, "value": str(v)} for k, v in message.parsed.items()],
        }

    def snapshot(self) -> dict[str, Any]:
        draft_ids = {message_id: draft_id for draft_id, message_id in self.drafts.items()}
        ordered = sorted(self.messages.values(), key=lambda m: (m.internal_date_ms, m.id))

        def having(label: str) -> list[dict[str, Any]]:
            return [self.view(m, draft_ids.get(m.id)) for m in ordered if label in m.label_ids]

        return {
            "sent": having("SENT"),
            "drafts": having("DRAFT"),
            "inbox": having("INBOX"),
            "historyId": self.history_id,
        }

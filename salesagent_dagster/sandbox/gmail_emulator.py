"""A Gmail API emulator (plus Google's OAuth token endpoint) that the official
`google-api-python-client` and `google-auth` use unmodified (see shared/WIRE.md).

Messages are stored as the RFC 822 bytes the client sent, so tests and the demo can parse
exactly what would have gone out. Admin routes under `/_admin` deliver inbound mail, show
state and inject faults. Run standalone: `python -m ...gmail_emulator --port N`.
"""

from __future__ import annotations

import argparse
import base64
import email
import itertools
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Any
from urllib.parse import parse_qs

from salesagent_dagster.sandbox.gmail_query import parse_query
from salesagent_dagster.sandbox.http_server import EmulatorServer, Request, Response

_STATUS = {
    400: ("INVALID_ARGUMENT", "badRequest"),
    401: ("UNAUTHENTICATED", "authError"),
    403: ("PERMISSION_DENIED", "forbidden"),
    404: ("NOT_FOUND", "notFound"),
    405: ("INVALID_ARGUMENT", "badRequest"),
    429: ("RESOURCE_EXHAUSTED", "rateLimitExceeded"),
    500: ("INTERNAL", "backendError"),
    503: ("UNAVAILABLE", "backendError"),
}


def google_error(status: int, message: str) -> dict[str, Any]:
    state, reason = _STATUS.get(status, ("UNKNOWN", "backendError"))
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": state,
        }
    }


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    label_ids: list[str]
    raw: bytes
    internal_date_ms: int
    history_id: int
    parsed: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        parsed = email.message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.parsed = parsed

    def header(self, name: str) -> str:
        return str(self.parsed.get(name, ""))

    @property
    def text(self) -> str:
        part = self.parsed.get_body(("plain", "html"))
        return part.get_content() if part is not None else ""

    def resource(
        self, fmt: str = "full", metadata_headers: list[str] | None = None
    ) -> dict[str, Any]:
        base: dict[str, Any] = {
            "id": self.id, "threadId": self.thread_id, "labelIds": list(self.label_ids),
            "historyId": str(self.history_id), "internalDate": str(self.internal_date_ms),
            "sizeEstimate": len(self.raw), "snippet": " ".join(self.text.split())[:200],
        }  # fmt: skip
        if fmt == "minimal":
            return base
        if fmt == "raw":
            return {**base, "raw": b64url(self.raw)}
        payload = _payload(self.parsed, "", fmt == "metadata")
        if fmt == "metadata" and metadata_headers:
            wanted = {h.lower() for h in metadata_headers}
            payload["headers"] = [h for h in payload["headers"] if h["name"].lower() in wanted]
        return {**base, "payload": payload}


def _payload(part: EmailMessage, part_id: str, headers_only: bool) -> dict[str, Any]:
    node: dict[str, Any] = {
        "partId": part_id, "mimeType": part.get_content_type(), "filename": part.get_filename() or "",
        "headers": [{"name": k, "value": str(v)} for k, v in part.items()],
    }  # fmt: skip
    if headers_only:
        return node
    if part.is_multipart():
        node["body"] = {"size": 0}
        node["parts"] = [
            _payload(child, f"{part_id}.{i}" if part_id else str(i), False)  # type: ignore[arg-type]
            for i, child in enumerate(part.iter_parts())
        ]
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        node["body"] = {"size": len(data), "data": b64url(data)}
    return node


@dataclass
class Mailbox:
    address: str
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    drafts: dict[str, str] = field(default_factory=dict)  # draft id -> message id
    history: list[tuple[int, str, str]] = field(default_factory=list)  # (id, kind, message id)
    history_id: int = 1000


class GmailEmulator(EmulatorServer):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        mailboxes: dict[str, str] | None = None,
        client_id: str = "sandbox-client-id",
        client_secret: str = "sandbox-client-secret",
        access_token_ttl_seconds: int = 3600,
    ) -> None:
        super().__init__(host, port, google_error)
        self.client_id, self.client_secret = client_id, client_secret
        self.access_token_ttl_seconds = access_token_ttl_seconds
        self._lock = threading.RLock()
        self._ids = itertools.count(0x18C3A5E000000000)
        self._refresh_tokens = dict(
            (mailboxes or {"rep@example.com": "sandbox-refresh-token"}).items()
        )
        self.reset()
        for method, pattern, handler in (
            ("POST", r"/_admin/reset", self._admin_reset),
            ("GET", r"/_admin/state", self._admin_state),
            ("POST", r"/_admin/inbound", self._admin_inbound),
            ("POST", r"/_admin/expire_tokens", self._admin_expire),
        ):
            self.route(method, pattern, handler, faultable=False)
        self.route("POST", r"/token", self._token)
        users = r"/gmail/v1/users/(?P<user>[^/]+)"
        for method, pattern, handler in (
            ("POST", rf"{users}/messages/send", self._send),
            ("GET", rf"{users}/messages", self._list_messages),
            ("GET", rf"{users}/messages/(?P<id>[^/]+)", self._get_message),
            ("POST", rf"{users}/drafts/send", self._send_draft),
            ("POST", rf"{users}/drafts", self._create_draft),
            ("GET", rf"{users}/drafts", self._list_drafts),
            ("GET", rf"{users}/drafts/(?P<id>[^/]+)", self._get_draft),
            ("PUT", rf"{users}/drafts/(?P<id>[^/]+)", self._update_draft),
            ("DELETE", rf"{users}/drafts/(?P<id>[^/]+)", self._delete_draft),
            ("GET", rf"{users}/threads/(?P<id>[^/]+)", self._get_thread),
            ("GET", rf"{users}/history", self._history),
            ("GET", rf"{users}/profile", self._profile),
        ):
            self.route(method, pattern, self._authorised(handler))
        self.start()

    # -- state ------------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.mailboxes = {address: Mailbox(address) for address in self._refresh_tokens}
            self._access_tokens: dict[str, tuple[str, float]] = {}
            self._revoked: set[str] = set()

    def revoke_refresh_token(self, refresh_token: str) -> None:
        with self._lock:
            self._revoked.add(refresh_token)

    def reinstate_refresh_token(self, refresh_token: str) -> None:
        """The user reconnected Gmail."""
        with self._lock:
            self._revoked.discard(refresh_token)

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access_tokens = {t: (m, 0.0) for t, (m, _) in self._access_tokens.items()}

    def sent_messages(self, mailbox: str) -> list[StoredMessage]:
        return self._with_label(mailbox, "SENT")

    def drafts(self, mailbox: str) -> list[StoredMessage]:
        return self._with_label(mailbox, "DRAFT")

    def message_raw(self, mailbox: str, message_id: str) -> bytes:
        with self._lock:
            return self.mailboxes[mailbox].messages[message_id].raw

    def deliver_inbound(
        self,
        mailbox: str,
        sender: str,
        subject: str,
        body: str,
        in_reply_to: str | None = None,
        raw: bytes | None = None,
        received_at: datetime | None = None,
    ) -> StoredMessage:
        if raw is None:
            message = EmailMessage()
            message["From"] = sender
            message["To"] = mailbox
            message["Subject"] = subject
            message["Date"] = format_datetime(received_at or datetime.now(UTC))
            message["Message-ID"] = make_msgid(domain="inbound.example")
            if in_reply_to:
                message["In-Reply-To"] = in_reply_to
                message["References"] = in_reply_to
            message.set_content(body)
            raw = message.as_bytes()
        when = int((received_at or datetime.now(UTC)).timestamp() * 1000)
        return self._store(mailbox, raw, ["INBOX", "UNREAD"], None, when)

    def _with_label(self, mailbox: str, label: str) -> list[StoredMessage]:
        with self._lock:
            return [m for m in self.mailboxes[mailbox].messages.values() if label in m.label_ids]

    def _store(
        self,
        address: str,
        raw: bytes,
        labels: list[str],
        thread_id: str | None,
        when_ms: int | None = None,
    ) -> StoredMessage:
        with self._lock:
            mailbox = self.mailboxes[address]
            message_id = f"{next(self._ids):x}"
            mailbox.history_id += 1
            stored = StoredMessage(
                message_id, "", labels, raw, when_ms or int(time.time() * 1000), mailbox.history_id
            )
            if not stored.header("Message-ID"):
                stored.parsed["Message-ID"] = make_msgid(domain="mail.gmail.com")
                stored.raw = stored.parsed.as_bytes()
            stored.thread_id = self._thread_for(mailbox, stored, thread_id) or message_id
            mailbox.messages[message_id] = stored
            mailbox.history.append((mailbox.history_id, "messageAdded", message_id))
            return stored

    @staticmethod
    def _thread_for(mailbox: Mailbox, message: StoredMessage, thread_id: str | None) -> str | None:
        def base(subject: str) -> str:
            return re.sub(r"^(\s*(re|fwd?|aw|wg)\s*:\s*)+", "", subject, flags=re.I).strip().lower()

        if thread_id:
            for other in mailbox.messages.values():
                if other.thread_id == thread_id and base(other.header("Subject")) == base(
                    message.header("Subject")
                ):
                    return thread_id
        references = set(
            re.findall(
                r"<[^>]+>", message.header("In-Reply-To") + " " + message.header("References")
            )
        )
        for other in mailbox.messages.values():
            if other.header("Message-ID").strip() in references:
                return other.thread_id
        return None

    def state(self) -> dict[str, Any]:
        def view(m: StoredMessage, draft_id: str | None = None) -> dict[str, Any]:
            recipients = getaddresses([m.header("To")])
            return {
                "id": m.id, "threadId": m.thread_id, "labelIds": m.label_ids, "raw": b64url(m.raw),
                "to": recipients[0][1].lower() if recipients else "", "from": m.header("From"),
                "subject": m.header("Subject"), "messageId": m.header("Message-ID"),
                "internalDate": m.internal_date_ms, "draftId": draft_id,
            }  # fmt: skip

        with self._lock:
            result: dict[str, Any] = {}
            for address, mailbox in self.mailboxes.items():
                draft_ids = {mid: did for did, mid in mailbox.drafts.items()}
                messages = list(mailbox.messages.values())
                result[address] = {
                    "sent": [view(m) for m in messages if "SENT" in m.label_ids],
                    "drafts": [
                        view(m, draft_ids.get(m.id)) for m in messages if "DRAFT" in m.label_ids
                    ],
                    "inbox": [view(m) for m in messages if "INBOX" in m.label_ids],
                    "historyId": mailbox.history_id,
                }
            return {"mailboxes": result}

    # -- OAuth ------------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8")).items()}
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Response(
                401,
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
            )
        if form.get("grant_type") != "refresh_token":
            return Response(
                400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
            )
        refresh_token = form.get("refresh_token", "")
        with self._lock:
            mailbox = next(
                (m for m, rt in self._refresh_tokens.items() if rt == refresh_token), None
            )
            if mailbox is None or refresh_token in self._revoked:
                return Response(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    },
                )
            access_token = "ya29.sandbox-" + secrets.token_urlsafe(24)
            self._access_tokens[access_token] = (
                mailbox,
                time.time() + self.access_token_ttl_seconds,
            )
        return Response(200, {
            "access_token": access_token, "expires_in": self.access_token_ttl_seconds,
            "token_type": "Bearer", "scope": "https://www.googleapis.com/auth/gmail.modify",
        })  # fmt: skip

    def _authorised(self, handler: Any) -> Any:
        def guarded(request: Request) -> Response:
            header = request.headers.get("authorization", "")
            token = header.removeprefix("Bearer ").strip()
            with self._lock:
                mailbox, expires_at = self._access_tokens.get(token, (None, 0.0))
            if mailbox is None or expires_at < time.time():
                return self.error(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                    "login cookie or other valid authentication credential.",
                    {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
                )
            user = request.params.get("user", "me")
            if user not in ("me", mailbox):
                return self.error(403, "Delegation denied for " + mailbox)
            request.params["mailbox"] = mailbox
            return handler(request)

        return guarded

    # -- messages ---------------------------------------------------------------------------

    def _parse_raw(self, body: dict[str, Any]) -> bytes | Response:
        raw = body.get("raw")
        if not isinstance(raw, str) or not raw:
            return self.error(
                400,
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
            )
        try:
            data = unb64url(raw)
        except (ValueError, TypeError):
            return self.error(400, "Invalid value for ByteString")
        parsed = email.message_from_bytes(data, policy=policy.default)
        recipients = getaddresses([str(parsed.get(h, "")) for h in ("To", "Cc", "Bcc")])
        if not any(addr for _, addr in recipients):
            return self.error(400, "Recipient address required")
        if any("@" not in addr for _, addr in recipients if addr):
            return self.error(400, "Invalid To header")
        return data

    def _send(self, request: Request) -> Response:
        body = request.json()
        data = self._parse_raw(body)
        if isinstance(data, Response):
            return data
        stored = self._store(request.params["mailbox"], data, ["SENT"], body.get("threadId"))
        return Response(
            200, {"id": stored.id, "threadId": stored.thread_id, "labelIds": stored.label_ids}
        )

    def _list_messages(self, request: Request) -> Response:
        try:
            query = parse_query(request.arg("q", "") or "")
        except ValueError as exc:
            return self.error(400, f"Invalid query: {exc}")
        include_spam_trash = (request.arg("includeSpamTrash", "false") or "").lower() == "true"
        labels = set(request.args("labelIds"))
        max_results = min(int(request.arg("maxResults", "100") or 100), 500)
        offset = int(request.arg("pageToken", "0") or 0)
        with self._lock:
            messages = sorted(
                self.mailboxes[request.params["mailbox"]].messages.values(),
                key=lambda m: (m.internal_date_ms, m.id), reverse=True,
            )  # fmt: skip
            found = [
                m for m in messages
                if query.matches(m) and labels.issubset(m.label_ids)
                and (include_spam_trash or query.mentions_location or not {"SPAM", "TRASH"} & set(m.label_ids))
            ]  # fmt: skip
        page = found[offset : offset + max_results]
        answer: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if page:
            answer["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if offset + max_results < len(found):
            answer["nextPageToken"] = str(offset + max_results)
        return Response(200, answer)

    def _message(self, request: Request, message_id: str) -> StoredMessage | None:
        with self._lock:
            return self.mailboxes[request.params["mailbox"]].messages.get(message_id)

    def _get_message(self, request: Request) -> Response:
        message = self._message(request, request.params["id"])
        if message is None:
            return self.error(404, "Requested entity was not found.")
        return Response(
            200,
            message.resource(
                request.arg("format", "full") or "full", request.args("metadataHeaders")
            ),
        )

    # -- drafts -----------------------------------------------------------------------------

    def _draft_view(self, draft_id: str, message: StoredMessage) -> dict[str, Any]:
        return {
            "id": draft_id,
            "message": {
                "id": message.id,
                "threadId": message.thread_id,
                "labelIds": message.label_ids,
            },
        }

    def _create_draft(self, request: Request) -> Response:
        message_body = request.json().get("message") or {}
        data = self._parse_raw(message_body)
        if isinstance(data, Response):
            return data
        stored = self._store(
            request.params["mailbox"], data, ["DRAFT"], message_body.get("threadId")
        )
        draft_id = f"r{next(self._ids) % 10**19}"
        with self._lock:
            self.mailboxes[request.params["mailbox"]].drafts[draft_id] = stored.id
        return Response(200, self._draft_view(draft_id, stored))

    def _find_draft(self, request: Request, draft_id: str) -> tuple[Mailbox, StoredMessage] | None:
        with self._lock:
            mailbox = self.mailboxes[request.params["mailbox"]]
            message_id = mailbox.drafts.get(draft_id)
            return (mailbox, mailbox.messages[message_id]) if message_id else None

    def _list_drafts(self, request: Request) -> Response:
        with self._lock:
            mailbox = self.mailboxes[request.params["mailbox"]]
            drafts = [self._draft_view(d, mailbox.messages[m]) for d, m in mailbox.drafts.items()]
        max_results = int(request.arg("maxResults", "100") or 100)
        offset = int(request.arg("pageToken", "0") or 0)
        answer: dict[str, Any] = {"resultSizeEstimate": len(drafts)}
        if drafts[offset : offset + max_results]:
            answer["drafts"] = drafts[offset : offset + max_results]
        if offset + max_results < len(drafts):
            answer["nextPageToken"] = str(offset + max_results)
        return Response(200, answer)

    def _get_draft(self, request: Request) -> Response:
        found = self._find_draft(request, request.params["id"])
        if found is None:
            return self.error(404, "Requested entity was not found.")
        return Response(
            200,
            {
                "id": request.params["id"],
                "message": found[1].resource(request.arg("format", "full") or "full"),
            },
        )

    def _update_draft(self, request: Request) -> Response:
        found = self._find_draft(request, request.params["id"])
        if found is None:
            return self.error(404, "Requested entity was not found.")
        message_body = request.json().get("message") or {}
        data = self._parse_raw(message_body)
        if isinstance(data, Response):
            return data
        mailbox, old = found
        stored = self._store(
            mailbox.address, data, ["DRAFT"], message_body.get("threadId") or old.thread_id
        )
        with self._lock:
            del mailbox.messages[old.id]
            mailbox.drafts[request.params["id"]] = stored.id
        return Response(200, self._draft_view(request.params["id"], stored))

    def _delete_draft(self, request: Request) -> Response:
        found = self._find_draft(request, request.params["id"])
        if found is None:
            return self.error(404, "Requested entity was not found.")
        mailbox, message = found
        with self._lock:
            del mailbox.drafts[request.params["id"]]
            del mailbox.messages[message.id]
        return Response(204)

    def _send_draft(self, request: Request) -> Response:
        draft_id = str(request.json().get("id", ""))
        found = self._find_draft(request, draft_id)
        if found is None:
            return self.error(404, "Requested entity was not found.")
        mailbox, message = found
        with self._lock:
            del mailbox.drafts[draft_id]
            message.label_ids = ["SENT"]
            mailbox.history_id += 1
            message.history_id = mailbox.history_id
            mailbox.history.append((mailbox.history_id, "messageAdded", message.id))
        return Response(
            200, {"id": message.id, "threadId": message.thread_id, "labelIds": message.label_ids}
        )

    # -- threads, history, profile ----------------------------------------------------------

    def _get_thread(self, request: Request) -> Response:
        fmt = request.arg("format", "full") or "full"
        with self._lock:
            mailbox = self.mailboxes[request.params["mailbox"]]
            messages = sorted(
                (m for m in mailbox.messages.values() if m.thread_id == request.params["id"]),
                key=lambda m: m.internal_date_ms,
            )
            if not messages:
                return self.error(404, "Requested entity was not found.")
            return Response(200, {
                "id": request.params["id"], "historyId": str(max(m.history_id for m in messages)),
                "messages": [m.resource(fmt, request.args("metadataHeaders")) for m in messages],
            })  # fmt: skip

    def _history(self, request: Request) -> Response:
        start = request.arg("startHistoryId")
        if not start or not start.isdigit():
            return self.error(400, "Invalid startHistoryId")
        label = request.arg("labelId")
        with self._lock:
            mailbox = self.mailboxes[request.params["mailbox"]]
            if mailbox.history and int(start) < mailbox.history[0][0] - 1:
                return self.error(404, "Requested entity was not found.")
            records = []
            for history_id, _kind, message_id in mailbox.history:
                message = mailbox.messages.get(message_id)
                if history_id <= int(start) or message is None:
                    continue
                if label and label not in message.label_ids:
                    continue
                ref = {
                    "id": message.id,
                    "threadId": message.thread_id,
                    "labelIds": message.label_ids,
                }
                records.append(
                    {"id": str(history_id), "messages": [ref], "messagesAdded": [{"message": ref}]}
                )
            return Response(
                200,
                {"history": records, "historyId": str(mailbox.history_id)}
                if records
                else {"historyId": str(mailbox.history_id)},
            )

    def _profile(self, request: Request) -> Response:
        with self._lock:
            mailbox = self.mailboxes[request.params["mailbox"]]
            threads = {m.thread_id for m in mailbox.messages.values()}
            return Response(200, {
                "emailAddress": mailbox.address, "messagesTotal": len(mailbox.messages),
                "threadsTotal": len(threads), "historyId": str(mailbox.history_id),
            })  # fmt: skip

    # -- admin ------------------------------------------------------------------------------

    def _admin_reset(self, request: Request) -> Response:
        self.reset()
        self.clear_faults()
        return Response(204)

    def _admin_state(self, request: Request) -> Response:
        return Response(200, self.state())

    def _admin_expire(self, request: Request) -> Response:
        self.expire_access_tokens()
        return Response(204)

    def _admin_inbound(self, request: Request) -> Response:
        body = request.json()
        mailbox = body.get("mailbox") or next(iter(self.mailboxes))
        if mailbox not in self.mailboxes:
            return self.error(404, f"no mailbox {mailbox}")
        stored = self.deliver_inbound(
            mailbox, body.get("from", ""), body.get("subject", ""), body.get("body", ""),
            body.get("in_reply_to"), unb64url(body["raw"]) if body.get("raw") else None,
        )  # fmt: skip
        return Response(201, {"id": stored.id, "threadId": stored.thread_id})


def start_gmail_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    mailboxes: dict[str, str] | None = None,
    client_id: str = "sandbox-client-id",
    client_secret: str = "sandbox-client-secret",
    access_token_ttl_seconds: int = 3600,
) -> GmailEmulator:
    return GmailEmulator(host, port, mailboxes, client_id, client_secret, access_token_ttl_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description="Gmail API + OAuth token endpoint emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--mailbox", default="rep@example.com")
    parser.add_argument("--refresh-token", default="sandbox-refresh-token")
    args = parser.parse_args()
    emulator = start_gmail_emulator(args.host, args.port, {args.mailbox: args.refresh_token})
    print(f"Gmail emulator on {emulator.url}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()

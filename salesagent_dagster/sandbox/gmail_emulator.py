"""A Gmail API emulator, plus Google's OAuth token endpoint, that the official
`google-api-python-client` and `google-auth` use unmodified (see shared/WIRE.md): only
`api_endpoint` and `token_uri` change between it, the real Gmail and any other implementation.

Messages are stored as the RFC 822 bytes the client sent, so tests and the demo can parse
exactly what would have gone out. Admin routes under `/_admin` deliver inbound mail, show state
and inject faults. Run standalone: `python -m salesagent_dagster.sandbox.gmail_emulator --port N`.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from salesagent_dagster.sandbox.gmail_api import ROUTES, MailboxHandler, google_error
from salesagent_dagster.sandbox.gmail_mailbox import Mailbox
from salesagent_dagster.sandbox.gmail_message import StoredMessage, unb64url
from salesagent_dagster.sandbox.gmail_oauth import GoogleOAuth, oauth_error
from salesagent_dagster.sandbox.http_server import (
    ApiError,
    EmulatorServer,
    Handler,
    Request,
    Response,
    serve_until_stopped,
)

__all__ = ["GmailEmulator", "StoredMessage", "start_gmail_emulator"]


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
        super().__init__(host, port)
        grants = mailboxes or {"rep@example.com": "sandbox-refresh-token"}
        self.oauth = GoogleOAuth(client_id, client_secret, access_token_ttl_seconds, grants)
        self._lock = threading.RLock()
        self._ids = itertools.count(0x18C3A5E000000000)
        self._calls: Counter[tuple[str, str]] = Counter()
        self.reset()
        for method, pattern, admin in (
            ("POST", r"/_admin/reset", self._admin_reset),
            ("GET", r"/_admin/state", self._admin_state),
            ("POST", r"/_admin/inbound", self._admin_inbound),
            ("POST", r"/_admin/expire_tokens", self._admin_expire),
            ("POST", r"/_admin/revoke", self._admin_revoke),
            ("POST", r"/_admin/forget_history", self._admin_forget_history),
        ):
            self.route(method, pattern, admin, faultable=False)
        self.route("POST", r"/token", self.oauth.token)
        for method, pattern, handler in ROUTES:
            self.route(
                method, rf"/gmail/v1/users/(?P<user>[^/]+)/{pattern}", self._authorised(handler)
            )
        self.start()

    def error_body(self, status: int, message: str | None, reason: str | None, path: str) -> Any:
        if path == "/token":  # the OAuth endpoint answers in RFC 6749's shape, not the API's
            return oauth_error(status, message)
        return google_error(status, message, reason)

    # -- seeding and inspection (Python) ---------------------------------------------------

    def reset(self) -> None:
        """Empty mailboxes, no access tokens, nothing revoked (faults stay; the admin route
        clears both)."""
        with self._lock:
            self.mailboxes = {a: Mailbox(a, self._ids) for a in self.oauth.mailboxes}
            self.oauth.reset()

    def add_mailbox(self, address: str, refresh_token: str) -> None:
        with self._lock:
            self.oauth.add_grant(address, refresh_token)
            self.mailboxes.setdefault(address, Mailbox(address, self._ids))

    def revoke_refresh_token(self, refresh_token: str) -> None:
        self.oauth.revoke(refresh_token)

    def reinstate_refresh_token(self, refresh_token: str) -> None:
        self.oauth.reinstate(refresh_token)

    def expire_access_tokens(self) -> None:
        self.oauth.expire_access_tokens()

    def forget_history(self, mailbox: str | None = None) -> None:
        """Expire the retained history, so older startHistoryIds get 404 (full sync)."""
        with self._lock:
            for address, box in self.mailboxes.items():
                if mailbox in (None, address):
                    box.forget_history()

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
        """Mail arriving from outside (INBOX, UNREAD); threads onto the message it replies to
        when the subject matches. `raw` replaces the built message entirely."""
        moment = received_at or datetime.now(UTC)
        if raw is None:
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = sender, mailbox, subject
            message["Date"] = format_datetime(moment)
            message["Message-ID"] = make_msgid(domain="inbound.example")
            if in_reply_to:
                message["In-Reply-To"] = message["References"] = in_reply_to
            message.set_content(body)
            raw = message.as_bytes()
        with self._lock:
            stored = self._mailbox(mailbox).add(
                raw, ["INBOX", "UNREAD"], received=True, when_ms=int(moment.timestamp() * 1000)
            )
            return replace(stored, label_ids=list(stored.label_ids))

    def api_calls(self, mailbox: str | None = None) -> Counter[str]:
        """API requests answered since the last `reset_api_calls`, by handler name
        (`list_history`, `get_message`, ...), for one mailbox or all."""
        with self._lock:
            counted: Counter[str] = Counter()
            for (address, name), n in self._calls.items():
                if mailbox in (None, address):
                    counted[name] += n
            return counted

    def reset_api_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def sent_messages(self, mailbox: str) -> list[StoredMessage]:
        """Oldest first; copies, so a test can keep them while the mailbox changes."""
        return self._labelled(mailbox, "SENT")

    def drafts(self, mailbox: str) -> list[StoredMessage]:
        return self._labelled(mailbox, "DRAFT")

    def inbox(self, mailbox: str) -> list[StoredMessage]:
        return self._labelled(mailbox, "INBOX")

    def message_raw(self, mailbox: str, message_id: str) -> bytes:
        with self._lock:
            return self._mailbox(mailbox).get(message_id).raw

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"mailboxes": {a: box.snapshot() for a, box in self.mailboxes.items()}}

    def _labelled(self, mailbox: str, label: str) -> list[StoredMessage]:
        with self._lock:
            ordered = reversed(self._mailbox(mailbox).newest_first())
            return [
                replace(m, label_ids=list(m.label_ids)) for m in ordered if label in m.label_ids
            ]

    def _mailbox(self, address: str) -> Mailbox:
        if address not in self.mailboxes:
            raise KeyError(f"no mailbox {address}; known: {sorted(self.mailboxes)}")
        return self.mailboxes[address]

    # -- API plumbing -----------------------------------------------------------------------

    def _authorised(self, handler: MailboxHandler) -> Handler:
        """Token -> mailbox; `userId` must be `me` or that mailbox's own address."""

        def guarded(request: Request) -> Response:
            mailbox = self.oauth.mailbox_for(request)
            if request.params["user"].lower() not in ("me", mailbox.lower()):
                raise ApiError(403, f"Delegation denied for {mailbox}")
            with self._lock:
                self._calls[(mailbox, handler.__name__)] += 1
                response = handler(self.mailboxes[mailbox], request)
                response.body = copy.deepcopy(response.body)
                return response

        return guarded

    # -- admin routes -----------------------------------------------------------------------

    def _admin_reset(self, request: Request) -> Response:
        self.reset()
        self.clear_faults()
        return Response(204)

    def _admin_state(self, request: Request) -> Response:
        return Response(200, self.state())

    def _admin_expire(self, request: Request) -> Response:
        self.expire_access_tokens()
        return Response(204)

    def _admin_revoke(self, request: Request) -> Response:
        self.revoke_refresh_token(str(request.field("refresh_token")))
        return Response(204)

    def _admin_forget_history(self, request: Request) -> Response:
        self.forget_history(request.json().get("mailbox"))
        return Response(204)

    def _admin_inbound(self, request: Request) -> Response:
        body = request.json()
        mailbox = body.get("mailbox") or next(iter(self.mailboxes))
        if mailbox not in self.mailboxes:
            raise ApiError(404, f"No mailbox {mailbox}")
        try:
            raw = unb64url(str(body["raw"])) if body.get("raw") else None
            received_ms = int(body["internalDate"]) if body.get("internalDate") else None
        except ValueError as exc:  # binascii.Error is a ValueError
            raise ApiError(400, f"Invalid raw or internalDate: {exc}") from exc
        stored = self.deliver_inbound(
            mailbox,
            str(body.get("from", "")),
            str(body.get("subject", "")),
            str(body.get("body", "")),
            body.get("in_reply_to"),
            raw,
            datetime.fromtimestamp(received_ms / 1000, UTC) if received_ms else None,
        )
        return Response(
            201,
            {
                "id": stored.id,
                "threadId": stored.thread_id,
                "messageId": stored.header("Message-ID"),
            },
        )


def start_gmail_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    mailboxes: dict[str, str] | None = None,
    client_id: str = "sandbox-client-id",
    client_secret: str = "sandbox-client-secret",
    access_token_ttl_seconds: int = 3600,
) -> GmailEmulator:
    """A running emulator (daemon thread). `mailboxes` maps address -> refresh token;
    `.url` is the client's `api_endpoint` and `.url + "/token"` its `token_uri`."""
    return GmailEmulator(host, port, mailboxes, client_id, client_secret, access_token_ttl_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description="Gmail API + Google OAuth token endpoint emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--mailbox", default="rep@example.com")
    parser.add_argument("--refresh-token", default="sandbox-refresh-token")
    parser.add_argument("--client-id", default="sandbox-client-id")
    parser.add_argument("--client-secret", default="sandbox-client-secret")
    parser.add_argument("--access-token-ttl", type=int, default=3600)
    args = parser.parse_args()
    emulator = start_gmail_emulator(
        args.host,
        args.port,
        {args.mailbox: args.refresh_token},
        args.client_id,
        args.client_secret,
        args.access_token_ttl,
    )
    serve_until_stopped(emulator, "Gmail emulator")


if __name__ == "__main__":
    main()

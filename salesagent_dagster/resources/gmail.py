"""Gmail through the official clients (`google-api-python-client` + `google-auth`).

Sends are made with the client's own retries off (`num_retries=0`) over `NoReplayHttp`,
which keeps httplib2 from repeating a request whose answer was lost (resources/transport.py
names every layer). Anything that leaves the outcome open is raised as `UnclearSendOutcome`,
and the caller reconciles by Message-ID (DESIGN I-1, I-14).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
from dagster import ConfigurableResource
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from pydantic import PrivateAttr

from salesagent_dagster.resources.errors import (
    AuthorizationRevoked,
    HistoryTooOld,
    InvalidRequest,
    NotFound,
    PermanentServiceError,
    TransientServiceError,
    UnclearSendOutcome,
    is_transient_status,
    retry_after_from_headers,
)
from salesagent_dagster.resources.transport import NoReplayHttp

SERVICE = "Gmail"
DEFAULT_GMAIL_API_BASE_URL = "https://gmail.googleapis.com"
DEFAULT_GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
GMAIL_SCOPES = ["https://www.googleapis.com/auth/gmail.modify"]

T = TypeVar("T")


@dataclass(frozen=True)
class GmailMessageRef:
    message_id: str
    thread_id: str
    draft_id: str | None = None
    is_draft: bool = False


@dataclass(frozen=True)
class EarlierMessage:
    """A message the lead sent the rep: what a reply needs to thread onto it."""

    thread_id: str
    message_id: str  # the RFC 5322 Message-ID header, with its angle brackets
    subject: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class SentMail:
    """One message of the rep's sent folder, as the voice learner reads it."""

    gmail_id: str
    message_id: str  # the RFC 5322 Message-ID header, as sent
    # Bulk or product mail carries RFC 8058's List-Unsubscribe-Post (ours always does);
    # mail a person writes by hand never does.
    one_click_unsubscribe: bool
    text: str  # the text/plain body ('' when the message has none)


@dataclass(frozen=True)
class AddedMessage:
    """A message history.list says was added, with its labels at the time (SENT, DRAFT,
    INBOX, ...), so our own sends and drafts can be told apart without fetching them."""

    message_id: str
    thread_id: str
    label_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryPage:
    """Every message added since a historyId (all pages, oldest first, each once), and the
    mailbox's historyId to start from next time."""

    added: tuple[AddedMessage, ...]
    history_id: str
    api_calls: int = 1

    @property
    def message_ids(self) -> list[str]:
        return [message.message_id for message in self.added]


@dataclass(frozen=True)
class RawMessage:
    raw: bytes  # the RFC 822 bytes as Gmail holds them
    thread_id: str
    internal_date: datetime  # when Gmail received it (UTC)
    label_ids: tuple[str, ...] = ()


class GmailResource(ConfigurableResource):
    """One rep's mailbox."""

    api_base_url: str = DEFAULT_GMAIL_API_BASE_URL
    token_uri: str = DEFAULT_GOOGLE_TOKEN_URI
    client_id: str
    client_secret: str
    refresh_token: str
    sender_email: str
    sender_name: str = ""
    request_timeout_seconds: float = 30.0

    _service: Any = PrivateAttr(default=None)

    @property
    def service(self) -> Any:
        if self._service is None:
            credentials = Credentials(
                token=None,
                refresh_token=self.refresh_token,
                token_uri=self.token_uri,
                client_id=self.client_id,
                client_secret=self.client_secret,
                scopes=GMAIL_SCOPES,
            )
            http = google_auth_httplib2.AuthorizedHttp(
                credentials, http=NoReplayHttp(timeout=self.request_timeout_seconds)
            )
            self._service = build(
                "gmail",
                "v1",
                http=http,
                static_discovery=True,
                cache_discovery=False,
                client_options={"api_endpoint": self.api_base_url.rstrip("/")},
            )
        return self._service

    # -- sending: outcomes may be unclear ----------------------------------------------------

    def send_raw(self, raw: str, thread_id: str | None = None) -> GmailMessageRef:
        body: dict[str, Any] = {"raw": raw}
        if thread_id:
            body["threadId"] = thread_id
        answer = self._send_call(
            "messages.send",
            lambda: (
                self.service.users().messages().send(userId="me", body=body).execute(num_retries=0)
            ),
        )
        return GmailMessageRef(message_id=answer["id"], thread_id=answer["threadId"])

    def create_draft(self, raw: str, thread_id: str | None = None) -> GmailMessageRef:
        message: dict[str, Any] = {"raw": raw}
        if thread_id:
            message["threadId"] = thread_id
        answer = self._send_call(
            "drafts.create",
            lambda: (
                self.service.users()
                .drafts()
                .create(userId="me", body={"message": message})
                .execute(num_retries=0)
            ),
        )
        return GmailMessageRef(
            message_id=answer["message"]["id"],
            thread_id=answer["message"]["threadId"],
            draft_id=answer["id"],
            is_draft=True,
        )

    def _send_call(self, operation: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Anything but a clear answer or a clear refusal may have been accepted."""
        try:
            with _translated_errors(operation):
                return fn()
        except TransientServiceError as exc:
            raise UnclearSendOutcome(
                SERVICE, f"{operation}: outcome unclear ({exc})", exc.retry_after_seconds
            ) from exc

    # -- erasure -----------------------------------------------------------------------------

    def delete_draft(self, draft_id: str) -> bool:
        """Delete one of our drafts for good (`users.drafts.delete`, not the trash); False when
        Gmail no longer has it (sent or deleted by the rep), which is as good for erasure."""
        try:
            self._call(
                "drafts.delete",
                lambda: (
                    self.service.users()
                    .drafts()
                    .delete(userId="me", id=draft_id)
                    .execute(num_retries=2)
                ),
            )
        except NotFound:
            return False
        return True

    # -- reading: safe to retry --------------------------------------------------------------

    def find_by_message_id(self, rfc822_message_id: str) -> GmailMessageRef | None:
        """Our own Message-ID header, sent or drafted (reconciliation, DESIGN I-1)."""
        found = self._list(f"rfc822msgid:{rfc822_message_id.strip('<>')}", max_results=5)
        if not found:
            return None
        ref = found[0]
        message = self._get_message(ref["id"], "minimal")
        is_draft = "DRAFT" in (message.get("labelIds") or [])
        draft_id = self._draft_id_for(ref["id"]) if is_draft else None
        return GmailMessageRef(ref["id"], ref["threadId"], draft_id=draft_id, is_draft=is_draft)

    def _draft_id_for(self, message_id: str) -> str | None:
        page_token: str | None = None
        while True:

            def list_page(token: str | None = page_token) -> dict[str, Any]:
                return dict(
                    self.service.users()
                    .drafts()
                    .list(userId="me", pageToken=token, maxResults=100)
                    .execute(num_retries=2)
                )

            answer = self._call("drafts.list", list_page)
            for draft in answer.get("drafts", []):
                if draft.get("message", {}).get("id") == message_id:
                    return str(draft["id"])
            page_token = answer.get("nextPageToken")
            if not page_token:
                return None

    def latest_message_from(self, address: str, days: int) -> EarlierMessage | None:
        """Their newest mail to the rep within `days`, if any: a strong sign mail is welcome,
        and the thread our answer joins (threadId, In-Reply-To, References, subject)."""
        found = self._list(f"from:{address} newer_than:{days}d -in:drafts", max_results=1)
        if not found:
            return None
        ref = found[0]
        message = self._get_message(ref["id"], "metadata", ["Message-ID", "Subject", "References"])
        headers = {
            str(header.get("name", "")).lower(): str(header.get("value", ""))
            for header in (message.get("payload") or {}).get("headers", [])
        }
        return EarlierMessage(
            thread_id=str(message.get("threadId") or ref["threadId"]),
            message_id=headers.get("message-id", "").strip(),
            subject=headers.get("subject", "").strip(),
            references=tuple(headers.get("references", "").split()),
        )

    def sent_mail(
        self, skip_gmail_ids: Collection[str] = frozenset(), page_size: int = 100
    ) -> Iterator[SentMail]:
        """The rep's sent mail, newest first, page by page as the caller reads on
        (`in:sent -in:drafts`; Gmail's sent folder also holds mail sent by apps in the
        rep's name, ours included: the caller tells them apart by the headers given here).
        Messages in `skip_gmail_ids` are not fetched at all."""
        page_token: str | None = None
        while True:

            def list_page(token: str | None = page_token) -> dict[str, Any]:
                return dict(
                    self.service.users()
                    .messages()
                    .list(
                        userId="me",
                        q="in:sent -in:drafts",
                        pageToken=token,
                        maxResults=page_size,
                        includeSpamTrash=False,
                    )
                    .execute(num_retries=2)
                )

            answer = self._call("messages.list", list_page)
            for ref in answer.get("messages", []):
                if ref["id"] in skip_gmail_ids:
                    continue
                message = self._get_message(ref["id"], "full")
                payload = message.get("payload") or {}
                headers = {
                    str(header.get("name", "")).lower(): str(header.get("value", ""))
                    for header in payload.get("headers", [])
                }
                yield SentMail(
                    gmail_id=str(ref["id"]),
                    message_id=headers.get("message-id", "").strip(),
                    one_click_unsubscribe="list-unsubscribe-post" in headers,
                    text=_plain_text(payload),
                )
            page_token = answer.get("nextPageToken")
            if not page_token:
                return

    # -- listening: the mailbox's history ----------------------------------------------------

    def history_since(self, start_history_id: str) -> HistoryPage:
        """`users.history.list` (messageAdded) from `start_history_id`, every page. Raises
        HistoryTooOld when Gmail no longer keeps history that old (a 404)."""
        added: dict[str, AddedMessage] = {}
        page_token: str | None = None
        calls = 0
        while True:

            def list_page(token: str | None = page_token) -> dict[str, Any]:
                return dict(
                    self.service.users()
                    .history()
                    .list(
                        userId="me",
                        startHistoryId=start_history_id,
                        historyTypes=["messageAdded"],
                        pageToken=token,
                        maxResults=500,
                    )
                    .execute(num_retries=2)
                )

            try:
                answer = self._call("history.list", list_page)
            except (NotFound, InvalidRequest) as exc:
                # 404: older than Gmail keeps. 400: an id this mailbox never issued (say, a
                # mailbox reconnected to another account). Either way only a resync helps.
                raise HistoryTooOld(
                    SERVICE, f"history.list: {start_history_id} is too old or not this mailbox's"
                ) from exc
            calls += 1
            # `history` is left out of the answer when nothing happened.
            for record in answer.get("history", []):
                for change in record.get("messagesAdded", []):
                    message = change.get("message") or {}
                    if message.get("id") and message["id"] not in added:
                        added[message["id"]] = AddedMessage(
                            message_id=str(message["id"]),
                            thread_id=str(message.get("threadId", "")),
                            label_ids=tuple(message.get("labelIds") or ()),
                        )
            page_token = answer.get("nextPageToken")
            if not page_token:
                return HistoryPage(tuple(added.values()), str(answer["historyId"]), calls)

    def recent_message_ids(self, days: int) -> list[str]:
        """Ids of mail received in the last `days` (not sent, not drafts), every page: the
        resync after HistoryTooOld."""
        ids: list[str] = []
        page_token: str | None = None
        query = f"newer_than:{days}d -in:sent -in:drafts"
        while True:

            def list_page(token: str | None = page_token) -> dict[str, Any]:
                return dict(
                    self.service.users()
                    .messages()
                    .list(userId="me", q=query, pageToken=token, maxResults=500)
                    .execute(num_retries=2)
                )

            answer = self._call("messages.list", list_page)
            ids += [str(ref["id"]) for ref in answer.get("messages", [])]
            page_token = answer.get("nextPageToken")
            if not page_token:
                return list(dict.fromkeys(ids))

    def current_history_id(self) -> str:
        """The mailbox's historyId now (`users.getProfile`): where listening starts."""
        answer = self._call(
            "getProfile",
            lambda: self.service.users().getProfile(userId="me").execute(num_retries=2),
        )
        return str(answer["historyId"])

    def get_raw_message(self, message_id: str) -> RawMessage:
        """The message's RFC 822 bytes, thread and receipt time (`messages.get`, raw)."""
        answer = self._get_message(message_id, "raw")
        data = str(answer.get("raw") or "")
        try:
            raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
            internal_date = datetime.fromtimestamp(int(answer.get("internalDate") or 0) / 1000, UTC)
        except (ValueError, OverflowError, OSError) as exc:  # binascii.Error is a ValueError
            # An answer no retry will mend: refused for this message, not for the mailbox.
            raise PermanentServiceError(
                "Gmail", f"messages.get answered an unreadable message ({type(exc).__name__})"
            ) from None
        return RawMessage(
            raw=raw,
            thread_id=str(answer.get("threadId") or ""),
            internal_date=internal_date,
            label_ids=tuple(answer.get("labelIds") or ()),
        )

    def profile_address(self) -> str:
        answer = self._call(
            "getProfile",
            lambda: self.service.users().getProfile(userId="me").execute(num_retries=2),
        )
        return str(answer.get("emailAddress", ""))

    def _get_message(
        self, message_id: str, message_format: str, headers: list[str] | None = None
    ) -> dict[str, Any]:
        extra = {"metadataHeaders": headers} if headers else {}
        return dict(
            self._call(
                "messages.get",
                lambda: (
                    self.service.users()
                    .messages()
                    .get(userId="me", id=message_id, format=message_format, **extra)
                    .execute(num_retries=2)
                ),
            )
        )

    def _list(self, query: str, max_results: int) -> list[dict[str, str]]:
        answer = self._call(
            "messages.list",
            lambda: (
                self.service.users()
                .messages()
                .list(userId="me", q=query, maxResults=max_results, includeSpamTrash=False)
                .execute(num_retries=2)
            ),
        )
        return list(answer.get("messages", []))

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        with _translated_errors(operation):
            return fn()


def _plain_text(payload: dict[str, Any]) -> str:
    if payload.get("mimeType") == "text/plain" and payload.get("body", {}).get("data"):
        data = payload["body"]["data"]
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode("utf-8", "replace")
    for part in payload.get("parts") or []:
        text = _plain_text(part)
        if text:
            return text
    return ""


@contextmanager
def _translated_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except RefreshError as exc:
        if exc.retryable:
            # The token endpoint answered 429/5xx (after google-auth's own tries): the grant
            # is fine, the service is not. Never a reason to ask for a reconnect.
            raise TransientServiceError(SERVICE, f"{operation}: token refresh failed") from exc
        # invalid_grant and other refusals: the user revoked us or the token expired. Only
        # a person can fix that.
        raise AuthorizationRevoked(
            SERVICE, f"{operation}: Gmail authorisation was revoked; reconnect Gmail"
        ) from exc
    except HttpError as exc:
        status = int(exc.resp.status)
        reason = exc.error_details[0].get("reason", "") if exc.error_details else ""
        message = f"{operation}: HTTP {status} {reason}".strip()
        if is_transient_status(status):
            raise TransientServiceError(
                SERVICE, message, retry_after_from_headers(exc.resp)
            ) from exc
        if status == 401:
            raise AuthorizationRevoked(SERVICE, f"{message}; reconnect Gmail") from exc
        if status == 404:
            raise NotFound(SERVICE, message) from exc
        if status == 400:
            raise InvalidRequest(SERVICE, message) from exc
        raise PermanentServiceError(SERVICE, message) from exc
    except (OSError, TransportError, httplib2.HttpLib2Error) as exc:
        # Timeouts and refused connections are OSErrors (socket.timeout included).
        raise TransientServiceError(SERVICE, f"{operation}: {type(exc).__name__}") from exc

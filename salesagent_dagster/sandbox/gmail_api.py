"""The Gmail REST API (`/gmail/v1/users/{userId}/...`) over one mailbox, as handler functions
the emulator routes to after authenticating the caller.

Shapes follow Gmail: list answers omit `messages`/`drafts`/`threads`/`history` when empty
(`{"resultSizeEstimate": 0}`), ids are strings, `internalDate` and `historyId` are strings,
errors are Google's JSON error with `errors[].reason`. Page tokens encode the position of the
last item returned, so mail arriving between pages does not shift them.
"""

from __future__ import annotations

import base64
import binascii
import email
import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from salesagent_dagster.sandbox.gmail_mailbox import Mailbox
from salesagent_dagster.sandbox.gmail_message import StoredMessage, unb64url
from salesagent_dagster.sandbox.gmail_query import parse_query
from salesagent_dagster.sandbox.http_server import ApiError, Request, Response

AUTH_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_STATUS = {  # status -> (status name, errors[].reason, default message)
    400: ("INVALID_ARGUMENT", "invalidArgument", "Bad Request"),
    401: ("UNAUTHENTICATED", "authError", AUTH_MESSAGE),
    403: ("PERMISSION_DENIED", "forbidden", "The caller does not have permission"),
    404: ("NOT_FOUND", "notFound", "Requested entity was not found."),
    405: ("INVALID_ARGUMENT", "invalidArgument", "Method not allowed"),
    429: ("RESOURCE_EXHAUSTED", "rateLimitExceeded", "Resource has been exhausted."),
    500: ("INTERNAL", "backendError", "Internal error encountered."),
    503: ("UNAVAILABLE", "backendError", "The service is currently unavailable."),
}
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIST_DEFAULT, LIST_MAX = 100, 500

MailboxHandler = Callable[[Mailbox, Request], Response]


def google_error(
    status: int, message: str | None = None, reason: str | None = None
) -> dict[str, Any]:
    """Google's JSON error. googleapiclient reads `errors[].reason`: it retries a 403 whose
    reason is `rateLimitExceeded` or `userRateLimitExceeded`, like a 429 or a 5xx."""
    name, default_reason, default_message = _STATUS.get(
        status, ("UNKNOWN", "backendError", "Unknown error")
    )
    message = message or default_message
    detail = {
        "message": "Invalid Credentials" if status == 401 else message,
        "domain": "global",
        "reason": reason or default_reason,
    }
    if status == 401:
        detail.update(location="Authorization", locationType="header")
    return {"error": {"code": status, "message": message, "errors": [detail], "status": name}}


def _check_recipients(message: EmailMessage, required: bool) -> None:
    """Gmail's own checks: a send needs a recipient; any address given, even in a draft,
    must be valid."""
    recipients = getaddresses([str(message.get(h, "")) for h in ("To", "Cc", "Bcc")])
    if any(not _ADDRESS.match(address) for name, address in recipients if name or address):
        raise ApiError(400, "Invalid To header")
    if required and not any(address for _, address in recipients):
        raise ApiError(400, "Recipient address required")


def _raw(message_body: Any, recipient_required: bool) -> bytes:
    raw = message_body.get("raw") if isinstance(message_body, dict) else None
    if not isinstance(raw, str) or not raw:
        raise ApiError(
            400,
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
        )
    try:
        data = unb64url(raw)
    except (binascii.Error, ValueError):
        raise ApiError(400, "Invalid value for ByteString: " + raw[:40]) from None
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)  # policy.default builds EmailMessage
    _check_recipients(parsed, recipient_required)
    return data


def _format(request: Request) -> str:
    return (request.arg("format") or "full").lower()


def _search(box: Mailbox, request: Request, messages: list[StoredMessage]) -> list[StoredMessage]:
    """`q`, `labelIds` (all must match) and Gmail's default of leaving out spam and trash."""
    query = parse_query(request.arg("q", "") or "", me=box.address)
    labels = set(request.args("labelIds"))
    spam_trash = (request.arg("includeSpamTrash") or "").lower() == "true"
    spam_trash = spam_trash or query.mentions_spam_or_trash
    return [
        m
        for m in messages
        if labels.issubset(m.label_ids)
        and query.matches(m)
        and (spam_trash or not {"SPAM", "TRASH"} & set(m.label_ids))
    ]


def _page(request: Request, items: list[StoredMessage]) -> tuple[list[StoredMessage], str | None]:
    """Newest first; the token is the (internalDate, id) position of the last item."""
    size = max(1, min(request.int_arg("maxResults", LIST_DEFAULT), LIST_MAX))
    token = request.arg("pageToken")
    if token:
        try:
            when, _, last_id = unb64url(token).decode().partition(":")
            position = (int(when), last_id)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ApiError(400, "Invalid pageToken") from None
        items = [m for m in items if (m.internal_date_ms, m.id) < position]
    page = items[:size]
    if len(items) <= size:
        return page, None
    last = f"{page[-1].internal_date_ms}:{page[-1].id}".encode()
    return page, base64.urlsafe_b64encode(last).decode().rstrip("=")


def _listing(key: str, entries: list[Any], next_token: str | None, total: int) -> Response:
    answer: dict[str, Any] = {key: entries} if entries else {}
    if next_token:
        answer["nextPageToken"] = next_token
    answer["resultSizeEstimate"] = total
    return Response(200, answer)


# -- messages ---------------------------------------------------------------------------------


def send_message(box: Mailbox, request: Request) -> Response:
    body = request.json()
    stored = box.add(_raw(body, recipient_required=True), ["SENT"], body.get("threadId"))
    return Response(200, stored.ref(with_labels=True))


def _incoming(box: Mailbox, request: Request, default_date_source: str) -> Response:
    """`messages.insert` / `messages.import`: a message put straight into this mailbox, as
    delivered mail would be. It joins the `threadId` it names when that thread exists and
    the subjects match, else the thread its In-Reply-To/References name; `internalDate` comes
    from its Date header (`internalDateSource=dateHeader`) or the time of the call."""
    body = request.json()
    data = _raw(body, recipient_required=False)
    source = request.arg("internalDateSource") or default_date_source
    if source not in ("receivedTime", "dateHeader"):
        raise ApiError(400, f"Invalid value at 'internal_date_source' ({source})")
    labels = [str(label) for label in body.get("labelIds") or []]
    stored = box.add_incoming(
        data, labels, body.get("threadId"), use_date_header=source == "dateHeader"
    )
    return Response(200, stored.ref(with_labels=True))


def insert_message(box: Mailbox, request: Request) -> Response:
    return _incoming(box, request, "receivedTime")


def import_message(box: Mailbox, request: Request) -> Response:
    return _incoming(box, request, "dateHeader")


def list_messages(box: Mailbox, request: Request) -> Response:
    found = _search(box, request, box.newest_first())
    page, next_token = _page(request, found)
    return _listing("messages", [m.ref() for m in page], next_token, len(found))


def get_message(box: Mailbox, request: Request) -> Response:
    message = box.get(request.params["id"])
    return Response(200, message.resource(_format(request), request.args("metadataHeaders")))


def modify_message(box: Mailbox, request: Request) -> Response:
    body = request.json()
    message = box.get(request.params["id"])
    box.relabel(
        message, list(body.get("addLabelIds") or []), list(body.get("removeLabelIds") or [])
    )
    return Response(200, message.ref(with_labels=True))


# -- drafts -----------------------------------------------------------------------------------


def create_draft(box: Mailbox, request: Request) -> Response:
    message_body = request.json().get("message") or {}
    stored = box.add(_raw(message_body, False), ["DRAFT"], message_body.get("threadId"))
    draft_id = box.new_draft_id()
    box.drafts[draft_id] = stored.id
    return Response(200, {"id": draft_id, "message": stored.ref(with_labels=True)})


def list_drafts(box: Mailbox, request: Request) -> Response:
    draft_ids = {message_id: draft_id for draft_id, message_id in box.drafts.items()}
    found = _search(box, request, [m for m in box.newest_first() if m.id in draft_ids])
    page, next_token = _page(request, found)
    drafts = [{"id": draft_ids[m.id], "message": m.ref()} for m in page]
    return _listing("drafts", drafts, next_token, len(found))


def get_draft(box: Mailbox, request: Request) -> Response:
    message = box.draft_message(request.params["id"])
    return Response(
        200, {"id": request.params["id"], "message": message.resource(_format(request))}
    )


def _replace_draft(box: Mailbox, draft_id: str, message_body: dict[str, Any]) -> StoredMessage:
    """Gmail gives an updated draft a new message (new id) under the same draft id."""
    old = box.draft_message(draft_id)
    data = _raw(message_body, recipient_required=False)
    stored = box.add(data, ["DRAFT"], message_body.get("threadId") or old.thread_id)
    box.delete(old.id)
    box.drafts[draft_id] = stored.id
    return stored


def update_draft(box: Mailbox, request: Request) -> Response:
    draft_id = request.params["id"]
    stored = _replace_draft(box, draft_id, request.json().get("message") or {})
    return Response(200, {"id": draft_id, "message": stored.ref(with_labels=True)})


def delete_draft(box: Mailbox, request: Request) -> Response:
    message = box.draft_message(request.params["id"])
    del box.drafts[request.params["id"]]
    box.delete(message.id)
    return Response(204)


def send_draft(box: Mailbox, request: Request) -> Response:
    """The draft goes; a new SENT message (new id, same thread) takes its place."""
    body = request.json()
    draft_id = str(body.get("id") or "")
    if isinstance(body.get("message"), dict) and body["message"].get("raw"):
        _replace_draft(box, draft_id, body["message"])
    draft = box.draft_message(draft_id)
    _check_recipients(draft.parsed, required=True)
    sent = box.add(draft.raw, ["SENT"], draft.thread_id)  # before the delete: same thread
    del box.drafts[draft_id]
    box.delete(draft.id)
    return Response(200, sent.ref(with_labels=True))


# -- threads, history, profile ----------------------------------------------------------------


def list_threads(box: Mailbox, request: Request) -> Response:
    found = _search(box, request, box.newest_first())
    newest_per_thread = list({m.thread_id: m for m in reversed(found)}.values())[::-1]
    page, next_token = _page(request, newest_per_thread)
    threads = [
        {
            "id": m.thread_id,
            "snippet": m.resource("minimal")["snippet"],
            "historyId": str(max(x.history_id for x in box.thread(m.thread_id))),
        }
        for m in page
    ]
    return _listing("threads", threads, next_token, len(newest_per_thread))


def get_thread(box: Mailbox, request: Request) -> Response:
    messages = box.thread(request.params["id"])
    headers = request.args("metadataHeaders")
    return Response(
        200,
        {
            "id": request.params["id"],
            "historyId": str(max(m.history_id for m in messages)),
            "messages": [m.resource(_format(request), headers) for m in messages],
        },
    )


def list_history(box: Mailbox, request: Request) -> Response:
    start = request.arg("startHistoryId") or ""
    if not start.isdigit():
        raise ApiError(400, "Invalid startHistoryId")
    records = box.history_since(int(start), request.args("historyTypes"), request.arg("labelId"))
    token = request.arg("pageToken")
    if token:
        if not token.isdigit():
            raise ApiError(400, "Invalid pageToken")
        records = [r for r in records if r.id > int(token)]
    size = max(1, min(request.int_arg("maxResults", LIST_DEFAULT), LIST_MAX))
    answer: dict[str, Any] = {}
    if records:
        answer["history"] = [r.resource() for r in records[:size]]
    if len(records) > size:
        answer["nextPageToken"] = str(records[size - 1].id)
    answer["historyId"] = str(box.history_id)
    return Response(200, answer)


def get_profile(box: Mailbox, request: Request) -> Response:
    return Response(
        200,
        {
            "emailAddress": box.address,
            "messagesTotal": len(box.messages),
            "threadsTotal": len({m.thread_id for m in box.messages.values()}),
            "historyId": str(box.history_id),
        },
    )


ROUTES: list[tuple[str, str, MailboxHandler]] = [
    ("POST", r"messages/send", send_message),
    ("POST", r"messages/import", import_message),
    ("POST", r"messages", insert_message),
    ("GET", r"messages", list_messages),
    ("GET", r"messages/(?P<id>[^/]+)", get_message),
    ("POST", r"messages/(?P<id>[^/]+)/modify", modify_message),
    ("POST", r"drafts/send", send_draft),
    ("POST", r"drafts", create_draft),
    ("GET", r"drafts", list_drafts),
    ("GET", r"drafts/(?P<id>[^/]+)", get_draft),
    ("PUT", r"drafts/(?P<id>[^/]+)", update_draft),
    ("DELETE", r"drafts/(?P<id>[^/]+)", delete_draft),
    ("GET", r"threads", list_threads),
    ("GET", r"threads/(?P<id>[^/]+)", get_thread),
    ("GET", r"history", list_history),
    ("GET", r"profile", get_profile),
]

"""The Gmail emulator through `google-api-python-client` and `google-auth`, unmodified, built
exactly as the product builds them (only `api_endpoint` and `token_uri` point here)."""

from __future__ import annotations

import base64
import email
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import google_auth_httplib2
import httplib2
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from salesagent_dagster.sandbox import start_gmail_emulator

MAILBOX, REFRESH = "rep@seller.example", "refresh-1"
CLIENT_ID, CLIENT_SECRET = "sandbox-client-id", "sandbox-client-secret"


@pytest.fixture
def emulator():
    with start_gmail_emulator(mailboxes={MAILBOX: REFRESH}) as running:
        yield running


def credentials(emulator, refresh_token=REFRESH):
    return Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=f"{emulator.url}/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def gmail(emulator, refresh_token=REFRESH):
    """The brief's client: credentials handed to `build`, default transport."""
    return build(
        "gmail",
        "v1",
        credentials=credentials(emulator, refresh_token),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": emulator.url},
    )


def gmail_with_timeout(emulator, timeout):
    """The product's client: an explicit httplib2 transport with a timeout."""
    http = google_auth_httplib2.AuthorizedHttp(
        credentials(emulator), http=httplib2.Http(timeout=timeout)
    )
    return build(
        "gmail",
        "v1",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": emulator.url},
    )


def raw_message(message_id="<m1@seller.example>", to="ana@acme.io", subject="Hello", **headers):
    message = EmailMessage()
    message["From"], message["Subject"] = MAILBOX, subject
    if to:
        message["To"] = to
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Body text, with 'quotes' & more")
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def send(service, raw=None, **body):
    return (
        service.users()
        .messages()
        .send(userId="me", body={"raw": raw or raw_message(), **body})
        .execute(num_retries=0)
    )


def search(service, query, **params):
    return service.users().messages().list(userId="me", q=query, **params).execute()


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


# -- OAuth ---------------------------------------------------------------------------------


def test_token_endpoint_speaks_googles_oauth_shapes(emulator):
    def token(**form):
        return requests.post(f"{emulator.url}/token", data=form, timeout=5)

    form = {"grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": CLIENT_ID}
    granted = token(**form, client_secret=CLIENT_SECRET)
    assert granted.status_code == 200
    assert granted.json() | {"access_token": "x"} == {
        "access_token": "x",
        "expires_in": 3600,
        "scope": "https://www.googleapis.com/auth/gmail.modify",
        "token_type": "Bearer",
    }
    assert token(**form, client_secret="wrong").json()["error"] == "invalid_client"
    unknown = token(**{**form, "refresh_token": "nope"}, client_secret=CLIENT_SECRET)
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    emulator.add_fault(path="^/token$", mode="status", status=503)
    assert token(**form, client_secret=CLIENT_SECRET).json()["error"] == "temporarily_unavailable"


def test_requests_go_to_users_me_and_the_profile_answers(emulator):
    emulator.add_fault(path=r"^/gmail/v1/users/me/profile$", mode="latency", ms=1)
    profile = gmail(emulator).users().getProfile(userId="me").execute()
    assert emulator.faults.pending() == []  # the client asked exactly that path
    assert profile == {
        "emailAddress": MAILBOX,
        "messagesTotal": 0,
        "threadsTotal": 0,
        "historyId": profile["historyId"],
    }


def test_expired_access_token_is_refreshed_by_the_client(emulator):
    service = gmail(emulator)
    send(service)
    emulator.expire_access_tokens()
    assert service.users().getProfile(userId="me").execute()["messagesTotal"] == 1


def test_revoked_grant_raises_refresh_error(emulator):
    service = gmail(emulator)
    service.users().getProfile(userId="me").execute()
    emulator.revoke_refresh_token(REFRESH)
    with pytest.raises(RefreshError):
        service.users().getProfile(userId="me").execute()


def test_wrong_token_or_other_users_mailbox_are_googles_errors(emulator):
    anonymous = requests.get(f"{emulator.url}/gmail/v1/users/me/profile", timeout=5)
    error = anonymous.json()["error"]
    assert (anonymous.status_code, error["status"], error["errors"][0]["reason"]) == (
        401,
        "UNAUTHENTICATED",
        "authError",
    )
    service = gmail(emulator)
    assert service.users().getProfile(userId=MAILBOX).execute()["emailAddress"] == MAILBOX
    with pytest.raises(HttpError) as caught:
        service.users().getProfile(userId="someone@else.example").execute()
    assert caught.value.resp.status == 403


# -- messages ------------------------------------------------------------------------------


def test_send_then_find_by_rfc822msgid(emulator):
    service = gmail(emulator)
    sent = send(service)
    assert sent["labelIds"] == ["SENT"]
    for query in ("rfc822msgid:m1@seller.example", "rfc822msgid:<m1@seller.example>"):
        assert search(service, query)["messages"] == [{"id": sent["id"], "threadId": sent["id"]}]
    assert search(service, "rfc822msgid:<other@x>") == {"resultSizeEstimate": 0}
    assert parse(emulator.message_raw(MAILBOX, sent["id"]))["Message-ID"] == "<m1@seller.example>"


def test_gmail_adds_message_id_and_date_when_missing(emulator):
    sent = send(gmail(emulator), raw_message(message_id=None))
    stored = parse(emulator.message_raw(MAILBOX, sent["id"]))
    assert stored["Message-ID"].endswith("@mail.gmail.com>") and stored["Date"]


def test_message_formats(emulator):
    service = gmail(emulator)
    sent = send(service)
    full = service.users().messages().get(userId="me", id=sent["id"]).execute()
    headers = {h["name"]: h["value"] for h in full["payload"]["headers"]}
    assert headers["Subject"] == "Hello" and full["payload"]["mimeType"] == "text/plain"
    body = base64.urlsafe_b64decode(full["payload"]["body"]["data"]).decode()
    assert body.startswith("Body text")
    assert full["snippet"] == "Body text, with &#39;quotes&#39; &amp; more"
    assert full["internalDate"].isdigit() and full["historyId"].isdigit()
    metadata = (
        service.users()
        .messages()
        .get(userId="me", id=sent["id"], format="metadata", metadataHeaders=["Subject"])
        .execute()
    )
    assert metadata["payload"]["headers"] == [{"name": "Subject", "value": "Hello"}]
    minimal = service.users().messages().get(userId="me", id=sent["id"], format="minimal").execute()
    assert "payload" not in minimal and minimal["labelIds"] == ["SENT"]
    raw = service.users().messages().get(userId="me", id=sent["id"], format="raw").execute()
    assert base64.urlsafe_b64decode(raw["raw"]) == emulator.message_raw(MAILBOX, sent["id"])
    with pytest.raises(HttpError) as missing:
        service.users().messages().get(userId="me", id="ffffffffffffffff").execute()
    assert missing.value.resp.status == 404


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (raw_message(to=None), "Recipient address required"),
        (raw_message(to="not-an-address"), "Invalid To header"),
    ],
)
def test_send_refuses_what_gmail_refuses(emulator, raw, message):
    with pytest.raises(HttpError) as caught:
        send(gmail(emulator), raw)
    assert caught.value.resp.status == 400
    assert caught.value.error_details[0]["message"] == message
    assert caught.value.error_details[0]["reason"] == "invalidArgument"
    assert emulator.sent_messages(MAILBOX) == []


def test_thread_id_is_kept_only_when_the_subject_matches(emulator):
    service = gmail(emulator)
    first = send(service)
    reply = send(
        service, raw_message("<m2@seller.example>", subject="Re: Hello"), threadId=first["threadId"]
    )
    other = send(
        service, raw_message("<m3@seller.example>", subject="Other"), threadId=first["threadId"]
    )
    unknown = send(service, raw_message("<m4@seller.example>"), threadId="deadbeefdeadbeef")
    assert reply["threadId"] == first["threadId"]
    assert other["threadId"] == other["id"] != first["threadId"]
    assert unknown["threadId"] == unknown["id"]


def test_paging_is_stable_while_mail_arrives(emulator):
    service = gmail(emulator)
    for index in range(3):
        send(service, raw_message(f"<p{index}@seller.example>"))
    first = search(service, "in:sent", maxResults=2)
    send(service, raw_message("<late@seller.example>"))
    second = search(service, "in:sent", maxResults=2, pageToken=first["nextPageToken"])
    ids = [m["id"] for m in first["messages"] + second["messages"]]
    assert len(ids) == 3 == len(set(ids)) and "nextPageToken" not in second


# -- drafts --------------------------------------------------------------------------------


def test_drafts_are_listed_unless_excluded_and_can_be_sent(emulator):
    service = gmail(emulator)
    draft = (
        service.users()
        .drafts()
        .create(userId="me", body={"message": {"raw": raw_message()}})
        .execute()
    )
    assert draft["id"].startswith("r-") and draft["message"]["labelIds"] == ["DRAFT"]
    assert search(service, "rfc822msgid:m1@seller.example")["resultSizeEstimate"] == 1
    assert search(service, "rfc822msgid:m1@seller.example -in:drafts") == {"resultSizeEstimate": 0}
    listed = service.users().drafts().list(userId="me").execute()
    assert listed["drafts"] == [
        {
            "id": draft["id"],
            "message": {"id": draft["message"]["id"], "threadId": draft["message"]["threadId"]},
        }
    ]
    sent = service.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert sent["labelIds"] == ["SENT"] and sent["threadId"] == draft["message"]["threadId"]
    assert emulator.drafts(MAILBOX) == []
    assert [m.id for m in emulator.sent_messages(MAILBOX)] == [sent["id"]]
    assert (
        search(service, "rfc822msgid:m1@seller.example in:sent")["messages"][0]["id"] == sent["id"]
    )


def test_drafts_update_get_and_delete(emulator):
    service = gmail(emulator)
    drafts = service.users().drafts()
    draft = drafts.create(userId="me", body={"message": {"raw": raw_message(to=None)}}).execute()
    updated = drafts.update(
        userId="me", id=draft["id"], body={"message": {"raw": raw_message(subject="New")}}
    ).execute()
    assert updated["id"] == draft["id"] and updated["message"]["id"] != draft["message"]["id"]
    fetched = drafts.get(userId="me", id=draft["id"]).execute()
    subject = {h["name"]: h["value"] for h in fetched["message"]["payload"]["headers"]}["Subject"]
    assert subject == "New"
    assert drafts.delete(userId="me", id=draft["id"]).execute() == ""  # 204, no body
    with pytest.raises(HttpError) as gone:
        drafts.get(userId="me", id=draft["id"]).execute()
    assert gone.value.resp.status == 404
    assert service.users().drafts().list(userId="me").execute() == {"resultSizeEstimate": 0}


def test_a_draft_without_recipient_cannot_be_sent(emulator):
    service = gmail(emulator)
    draft = (
        service.users()
        .drafts()
        .create(userId="me", body={"message": {"raw": raw_message(to=None)}})
        .execute()
    )
    with pytest.raises(HttpError) as caught:
        service.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert caught.value.resp.status == 400 and len(emulator.drafts(MAILBOX)) == 1


# -- inbound, threads, history ---------------------------------------------------------------


def test_inbound_reply_threads_and_is_found_by_sender_and_age(emulator):
    service = gmail(emulator)
    sent = send(service)
    emulator.deliver_inbound(
        MAILBOX, "Ana <ana@acme.io>", "Re: Hello", "Yes!", in_reply_to="<m1@seller.example>"
    )
    emulator.deliver_inbound(
        MAILBOX, "ana@acme.io", "Old", "x", received_at=datetime.now(UTC) - timedelta(days=120)
    )
    replies = search(service, "from:ana@acme.io newer_than:90d")
    assert len(replies["messages"]) == 1 and replies["messages"][0]["threadId"] == sent["threadId"]
    assert search(service, "is:unread in:inbox")["resultSizeEstimate"] == 2
    thread = (
        service.users().threads().get(userId="me", id=sent["threadId"], format="metadata").execute()
    )
    assert [m["labelIds"] for m in thread["messages"]] == [["SENT"], ["INBOX", "UNREAD"]]
    assert (
        service.users().threads().list(userId="me", q="from:ana").execute()["resultSizeEstimate"]
        == 2
    )


def test_inbound_over_the_admin_route_and_state(emulator):
    answer = requests.post(
        f"{emulator.url}/_admin/inbound",
        json={"mailbox": MAILBOX, "from": "bo@x.io", "subject": "Pricing?", "body": "How much?"},
        timeout=5,
    )
    assert answer.status_code == 201
    state = requests.get(f"{emulator.url}/_admin/state", timeout=5).json()["mailboxes"][MAILBOX]
    (inbound,) = state["inbox"]
    assert (inbound["from"], inbound["subject"], inbound["to"]) == ("bo@x.io", "Pricing?", MAILBOX)
    assert {"name": "Subject", "value": "Pricing?"} in inbound["headers"]
    assert parse(base64.urlsafe_b64decode(inbound["raw"]))["From"] == "bo@x.io"
    assert state["sent"] == [] and state["drafts"] == []


def test_history_lists_changes_since_a_history_id(emulator):
    service = gmail(emulator)
    start = service.users().getProfile(userId="me").execute()["historyId"]
    sent = send(service)
    emulator.deliver_inbound(MAILBOX, "ana@acme.io", "Re: Hello", "Yes", "<m1@seller.example>")
    history = (
        service.users()
        .history()
        .list(userId="me", startHistoryId=start, historyTypes=["messageAdded"])
        .execute()
    )
    added = [h["messagesAdded"][0]["message"] for h in history["history"]]
    assert [m["labelIds"] for m in added] == [["SENT"], ["INBOX", "UNREAD"]]
    assert added[0]["id"] == sent["id"] and int(history["historyId"]) > int(start)
    inbox_only = (
        service.users().history().list(userId="me", startHistoryId=start, labelId="INBOX").execute()
    )
    assert len(inbox_only["history"]) == 1
    latest = history["historyId"]
    assert service.users().history().list(userId="me", startHistoryId=latest).execute() == {
        "historyId": latest
    }
    emulator.forget_history()
    with pytest.raises(HttpError) as too_old:
        service.users().history().list(userId="me", startHistoryId=start).execute()
    assert too_old.value.resp.status == 404


def test_modify_changes_labels_and_records_history(emulator):
    service = gmail(emulator)
    inbound = emulator.deliver_inbound(MAILBOX, "ana@acme.io", "Hi", "x")
    start = service.users().getProfile(userId="me").execute()["historyId"]
    modified = (
        service.users()
        .messages()
        .modify(userId="me", id=inbound.id, body={"removeLabelIds": ["UNREAD"]})
        .execute()
    )
    assert modified["labelIds"] == ["INBOX"]
    history = service.users().history().list(userId="me", startHistoryId=start).execute()
    assert history["history"][0]["labelsRemoved"][0]["labelIds"] == ["UNREAD"]


# -- faults: what makes a send's outcome unclear ---------------------------------------------


def test_accept_then_fail_stores_the_message_and_raises(emulator):
    emulator.add_fault(path="/messages/send", mode="accept_then_fail", status=500)
    with pytest.raises(HttpError) as caught:
        send(gmail(emulator))
    assert caught.value.resp.status == 500
    assert caught.value.error_details[0]["reason"] == "backendError"
    assert len(emulator.sent_messages(MAILBOX)) == 1


def test_accept_then_hang_times_out_after_the_message_is_stored(emulator):
    emulator.add_fault(path="/messages/send", mode="accept_then_hang", seconds=1)
    service = gmail_with_timeout(emulator, timeout=0.3)
    service.users().getProfile(userId="me").execute()  # the token is fetched before the hang
    with pytest.raises(TimeoutError):  # socket.timeout, not an HttpError
        send(service)
    assert len(emulator.sent_messages(MAILBOX)) == 1


def test_a_dropped_connection_makes_httplib2_send_again_by_itself(emulator):
    """Wire fact: httplib2 re-sends any request (POST included) once when the connection
    closes without an answer, even with `num_retries=0`: an accepted send goes out twice."""
    emulator.add_fault(path="/messages/send", mode="accept_then_drop")
    service = gmail(emulator)
    service.users().getProfile(userId="me").execute()
    send(service)
    assert len(emulator.sent_messages(MAILBOX)) == 2


def test_injected_rate_limit_uses_googles_shape(emulator):
    emulator.add_fault(
        path="/messages/send",
        mode="status",
        status=403,
        reason="userRateLimitExceeded",
        message="User-rate limit exceeded.",
    )
    emulator.add_fault(path="/messages/send", mode="status", status=429, retry_after=2)
    service = gmail(emulator)
    with pytest.raises(HttpError) as forbidden:
        send(service)
    assert forbidden.value.error_details[0]["reason"] == "userRateLimitExceeded"
    with pytest.raises(HttpError) as limited:
        send(service)
    assert (limited.value.resp.status, limited.value.resp["retry-after"]) == (429, "2")
    assert emulator.sent_messages(MAILBOX) == []


def test_reset_clears_mail_and_tokens(emulator):
    service = gmail(emulator)
    send(service)
    assert requests.post(f"{emulator.url}/_admin/reset", timeout=5).status_code == 204
    assert emulator.sent_messages(MAILBOX) == []
    assert service.users().getProfile(userId="me").execute()["messagesTotal"] == 0  # re-auth

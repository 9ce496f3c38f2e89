"""The Gmail emulator through `google-api-python-client` and `google-auth`, unmodified."""

from __future__ import annotations

import base64
import socket
from email.message import EmailMessage

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from salesagent_dagster.sandbox import start_gmail_emulator

MAILBOX, REFRESH = "rep@seller.example", "refresh-1"


@pytest.fixture
def emulator():
    with start_gmail_emulator(mailboxes={MAILBOX: REFRESH}) as running:
        yield running


def service(emulator, timeout=10, refresh_token=REFRESH):
    credentials = Credentials(
        token=None, refresh_token=refresh_token, token_uri=f"{emulator.url}/token",
        client_id="sandbox-client-id", client_secret="sandbox-client-secret",
    )  # fmt: skip
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
    return build("gmail", "v1", http=http, static_discovery=True, cache_discovery=False,
                 client_options={"api_endpoint": emulator.url})  # fmt: skip


def raw_message(message_id="<m1@seller.example>", to="ana@acme.io", subject="Hello", **headers):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = MAILBOX, to, subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Body text")
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def test_send_then_find_by_rfc822msgid(emulator):
    gmail = service(emulator)
    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": raw_message()})
        .execute(num_retries=0)
    )
    found = gmail.users().messages().list(userId="me", q="rfc822msgid:m1@seller.example").execute()
    assert found["messages"] == [{"id": sent["id"], "threadId": sent["threadId"]}]
    assert gmail.users().messages().list(userId="me", q="rfc822msgid:<other@x>").execute() == {
        "resultSizeEstimate": 0
    }
    full = gmail.users().messages().get(userId="me", id=sent["id"]).execute()
    assert {h["name"]: h["value"] for h in full["payload"]["headers"]}["Subject"] == "Hello"


def test_drafts_are_listed_unless_excluded_and_can_be_sent(emulator):
    gmail = service(emulator)
    draft = (
        gmail.users()
        .drafts()
        .create(userId="me", body={"message": {"raw": raw_message()}})
        .execute()
    )
    assert draft["message"]["labelIds"] == ["DRAFT"]
    assert (
        gmail.users()
        .messages()
        .list(userId="me", q="rfc822msgid:m1@seller.example")
        .execute()["resultSizeEstimate"]
        == 1
    )
    assert (
        gmail.users()
        .messages()
        .list(userId="me", q="rfc822msgid:m1@seller.example -in:drafts")
        .execute()["resultSizeEstimate"]
        == 0
    )
    sent = gmail.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert sent["labelIds"] == ["SENT"] and emulator.drafts(MAILBOX) == []


def test_replies_thread_and_are_found_by_from_and_age(emulator):
    gmail = service(emulator)
    sent = gmail.users().messages().send(userId="me", body={"raw": raw_message()}).execute()
    emulator.deliver_inbound(
        MAILBOX, "Ana <ana@acme.io>", "Re: Hello", "Yes!", in_reply_to="<m1@seller.example>"
    )
    replies = (
        gmail.users().messages().list(userId="me", q="from:ana@acme.io newer_than:90d").execute()
    )
    assert replies["messages"][0]["threadId"] == sent["threadId"]
    thread = gmail.users().threads().get(userId="me", id=sent["threadId"]).execute()
    assert len(thread["messages"]) == 2
    history = gmail.users().history().list(userId="me", startHistoryId="1000").execute()
    assert len(history["history"]) == 2


def test_expired_access_token_is_refreshed_and_revoked_grant_raises(emulator):
    gmail = service(emulator)
    gmail.users().getProfile(userId="me").execute()
    emulator.expire_access_tokens()
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == MAILBOX
    emulator.revoke_refresh_token(REFRESH)
    with pytest.raises(RefreshError):
        service(emulator).users().getProfile(userId="me").execute()


def test_accept_then_fail_stores_the_message_and_raises(emulator):
    emulator.add_fault(path="/messages/send", mode="accept_then_fail", status=500)
    with pytest.raises(HttpError) as caught:
        service(emulator).users().messages().send(userId="me", body={"raw": raw_message()}).execute(
            num_retries=0
        )
    assert caught.value.resp.status == 500
    assert len(emulator.sent_messages(MAILBOX)) == 1


def test_accept_then_hang_times_out_after_the_message_is_stored(emulator):
    emulator.add_fault(path="/messages/send", mode="accept_then_hang", seconds=2)
    gmail = service(emulator, timeout=0.5)
    gmail.users().getProfile(userId="me").execute()  # token fetched before the hang
    with pytest.raises((TimeoutError, socket.timeout)):
        gmail.users().messages().send(userId="me", body={"raw": raw_message()}).execute(
            num_retries=0
        )
    assert len(emulator.sent_messages(MAILBOX)) == 1


def test_message_without_recipient_is_refused(emulator):
    message = EmailMessage()
    message["Subject"] = "no one"
    message.set_content("x")
    raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
    with pytest.raises(HttpError) as caught:
        service(emulator).users().messages().send(userId="me", body={"raw": raw}).execute()
    assert caught.value.resp.status == 400

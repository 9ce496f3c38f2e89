"""The product's own Gmail and HubSpot resources, pointed at emulators started per test."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.sandbox import start_gmail_emulator, start_hubspot_emulator

MAILBOX, REFRESH = "rep@seller.example", "refresh-1"
HUBSPOT_TOKEN = "resources-test-token"


@pytest.fixture
def gmail_emulator():
    with start_gmail_emulator(mailboxes={MAILBOX: REFRESH}) as running:
        yield running


@pytest.fixture
def hubspot_emulator():
    with start_hubspot_emulator(access_token=HUBSPOT_TOKEN) as running:
        yield running


def gmail_resource(emulator) -> GmailResource:
    return GmailResource(
        api_base_url=emulator.url,
        token_uri=f"{emulator.url}/token",
        client_id="sandbox-client-id",
        client_secret="sandbox-client-secret",
        refresh_token=REFRESH,
        sender_email=MAILBOX,
        request_timeout_seconds=5,
    )


def hubspot_resource(emulator) -> HubSpotResource:
    return HubSpotResource(
        access_token=HUBSPOT_TOKEN, api_base_url=emulator.url, request_timeout_seconds=5
    )


def raw_message(message_id: str) -> str:
    """A small RFC 822 message from the rep, base64url as Gmail takes it."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = MAILBOX, "ana@acme.io", "Hello"
    message["Message-ID"] = message_id
    message.set_content("Body")
    return base64.urlsafe_b64encode(message.as_bytes()).decode()

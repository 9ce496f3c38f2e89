"""DESIGN I-14 on the wire: when a connection closes without an answer, no layer under the
product's Gmail and HubSpot resources sends the request again by itself.

Every drop is tried both ways a server can do it: an orderly close (the client reads an
empty status line: `RemoteDisconnected`, which httplib2 replays "regardless of RETRIES") and
a TCP reset (which httplib2 happens not to replay today; kept so that no change of ours or
theirs starts to). Against plain `httplib2.Http` the orderly-close cases store two messages
(see test_a_dropped_connection_makes_httplib2_send_again_by_itself in the emulator tests).
"""

from __future__ import annotations

import pytest

from salesagent_dagster.resources.errors import TransientServiceError, UnclearSendOutcome
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.transport import HUBSPOT_RETRY
from salesagent_dagster_tests.resources.conftest import (
    MAILBOX,
    gmail_resource,
    hubspot_resource,
)
from salesagent_dagster_tests.resources.conftest import raw_message as rep_message

DROPS = [
    pytest.param(False, id="orderly-close"),
    pytest.param(True, id="tcp-reset"),
]


def raw_message(message_id: str = "<transport-1@seller.example>") -> str:
    return rep_message(message_id)


def stored(emulator, operation: str) -> int:
    if operation == "send":
        return len(emulator.sent_messages(MAILBOX))
    return len(emulator.drafts(MAILBOX))


def call(gmail: GmailResource, operation: str) -> None:
    if operation == "send":
        gmail.send_raw(raw_message())
    else:
        gmail.create_draft(raw_message())


GMAIL_PATHS = {"send": "/messages/send", "draft": "/drafts$"}


@pytest.mark.parametrize("reset", DROPS)
@pytest.mark.parametrize("operation", ["send", "draft"])
def test_gmail_accepted_then_dropped_is_stored_once_and_reported_unclear(
    gmail_emulator, operation, reset
):
    gmail = gmail_resource(gmail_emulator)
    gmail.profile_address()  # token fetched and the connection kept alive, as in a run
    gmail_emulator.add_fault(
        path=GMAIL_PATHS[operation], method="POST", mode="accept_then_drop", reset=reset
    )
    with pytest.raises(UnclearSendOutcome):
        call(gmail, operation)
    assert stored(gmail_emulator, operation) == 1
    # The reconciliation the caller makes next finds it by our Message-ID.
    assert gmail.find_by_message_id("<transport-1@seller.example>") is not None


@pytest.mark.parametrize("reset", DROPS)
@pytest.mark.parametrize("operation", ["send", "draft"])
def test_gmail_dropped_before_accepting_stores_nothing_and_is_reported_unclear(
    gmail_emulator, operation, reset
):
    gmail = gmail_resource(gmail_emulator)
    gmail.profile_address()
    gmail_emulator.add_fault(path=GMAIL_PATHS[operation], method="POST", mode="drop", reset=reset)
    with pytest.raises(UnclearSendOutcome):
        call(gmail, operation)
    assert stored(gmail_emulator, operation) == 0
    assert gmail.find_by_message_id("<transport-1@seller.example>") is None


@pytest.mark.parametrize("reset", DROPS)
def test_token_refresh_whose_answer_is_lost_is_not_replayed(gmail_emulator, reset):
    gmail = gmail_resource(gmail_emulator)
    gmail_emulator.add_fault(path="/token", mode="accept_then_drop", reset=reset)
    with pytest.raises(UnclearSendOutcome):  # the send never went out, but we cannot know
        gmail.send_raw(raw_message())
    assert gmail_emulator.oauth.tokens_issued == 1
    assert stored(gmail_emulator, "send") == 0


def test_a_token_endpoint_outage_is_transient_not_a_revoked_grant(gmail_emulator):
    gmail = gmail_resource(gmail_emulator)
    gmail_emulator.add_fault(path="/token", mode="status", status=503, count=5)
    with pytest.raises(TransientServiceError) as caught:
        gmail.profile_address()
    assert "reconnect" not in str(caught.value)


def engagements(emulator, object_type: str) -> list[dict]:
    return list(emulator.state()["objects"].get(object_type, []))


@pytest.fixture
def contact_id(hubspot_emulator) -> str:
    return hubspot_resource(hubspot_emulator).create_contact({"email": "ana@acme.io"}).id


@pytest.mark.parametrize("reset", DROPS)
@pytest.mark.parametrize("mode", ["accept_then_drop", "drop"])
@pytest.mark.parametrize("object_type", ["emails", "tasks"])
def test_hubspot_create_whose_answer_is_lost_is_made_at_most_once(
    hubspot_emulator, contact_id, object_type, mode, reset
):
    hubspot = hubspot_resource(hubspot_emulator)
    hubspot_emulator.add_fault(
        path=f"/crm/v3/objects/{object_type}$", method="POST", mode=mode, reset=reset
    )
    create = hubspot.log_email if object_type == "emails" else hubspot.create_task
    with pytest.raises(TransientServiceError):
        create(contact_id, {"hs_timestamp": "2026-12-01T09:00:00.000Z"})
    assert len(engagements(hubspot_emulator, object_type)) == (
        1 if mode == "accept_then_drop" else 0
    )


def test_the_hubspot_client_uses_the_no_replay_retry_settings(hubspot_emulator):
    """What urllib3 under the generated APIs may repeat: connect failures for any method,
    lost answers and 429/503 only for reads; never a TLS failure or a redirect of a POST."""
    hubspot = hubspot_resource(hubspot_emulator)
    pool = hubspot.client.crm.objects.emails.basic_api.api_client.rest_client.pool_manager
    retry = pool.connection_pool_kw["retries"]
    assert retry is HUBSPOT_RETRY
    assert retry.other == 0 and retry.redirect == 0 and not retry.raise_on_redirect
    assert not retry.is_retry("POST", 503, has_retry_after=True)
    assert retry.is_retry("GET", 503, has_retry_after=True)

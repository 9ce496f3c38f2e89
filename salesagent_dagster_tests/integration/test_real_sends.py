"""With ALLOW_REAL_SENDS on, every unclear send outcome is reconciled by Message-ID before
anything is sent again (DESIGN I-1), and the mailbox limit is counted at claim time (I-2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import deferrals, send_ledger
from salesagent_dagster_tests.integration.pipeline_harness import (
    add_fault,
    gmail_state,
    hubspot_state,
    parse_raw,
    process_once,
)


def lead(name: str) -> dict[str, str]:
    return {"email": f"{name}@brightpath.io", "firstname": name.title(), "company": "BrightPath"}


@pytest.fixture
def instance(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("ALLOW_REAL_SENDS", "true")
    monkeypatch.setenv("SALESAGENT_HTTP_TIMEOUT_SECONDS", "1")
    with DagsterInstance.get() as instance:
        yield instance


def ledger(partition_key: str):
    with resources_from_env().app_store.session() as session:
        return send_ledger.get_entry(session, partition_key)


def test_real_send_goes_through_messages_send_and_is_logged_as_sent(sandbox, instance):
    add_submission(sandbox.hubspot.url, lead("ana"))
    (outcome,) = process_once(instance).outcomes
    assert outcome.status == "sent"
    mailbox = gmail_state(sandbox.gmail.url)
    assert mailbox["drafts"] == [] and len(mailbox["sent"]) == 1
    assert (
        parse_raw(mailbox["sent"][0]["raw"])["Message-ID"]
        == ledger(outcome.partition_key).message_id
    )
    engagement = hubspot_state(sandbox.hubspot.url)["objects"]["emails"][0]
    assert engagement["properties"]["hs_email_status"] == "SENT"
    contact = hubspot_state(sandbox.hubspot.url)["objects"]["contacts"][0]
    assert contact["properties"]["hs_lead_status"] == "ATTEMPTED_TO_CONTACT"


def test_send_accepted_but_answer_timed_out_is_reconciled_not_resent(sandbox, instance):
    add_submission(sandbox.hubspot.url, lead("bo"))
    add_fault(sandbox.gmail.url, path="/messages/send", mode="accept_then_hang", seconds=3)
    (outcome,) = process_once(instance).outcomes
    assert outcome.status == "sent"
    assert len(gmail_state(sandbox.gmail.url)["sent"]) == 1
    entry = ledger(outcome.partition_key)
    assert (entry.state, entry.attempts) == ("sent", 1)


def test_send_accepted_then_5xx_is_reconciled_not_resent(sandbox, instance):
    add_submission(sandbox.hubspot.url, lead("cy"))
    add_fault(sandbox.gmail.url, path="/messages/send", mode="accept_then_fail", status=503)
    (outcome,) = process_once(instance).outcomes
    assert len(gmail_state(sandbox.gmail.url)["sent"]) == 1
    assert ledger(outcome.partition_key).attempts == 1


def test_rate_limited_send_waits_for_retry_after_then_sends_once(sandbox, instance):
    add_submission(sandbox.hubspot.url, lead("di"))
    add_fault(sandbox.gmail.url, path="/messages/send", mode="status", status=429, retry_after=1)
    (outcome,) = process_once(instance).outcomes
    assert outcome.status == "sent"
    assert len(gmail_state(sandbox.gmail.url)["sent"]) == 1
    assert ledger(outcome.partition_key).attempts == 2


def test_mailbox_limit_defers_the_second_send_until_the_window_reopens(
    sandbox, instance, monkeypatch
):
    monkeypatch.setenv("SALESAGENT_MAILBOX_DAILY_LIMIT", "1")
    add_submission(sandbox.hubspot.url, lead("ed"))
    add_submission(sandbox.hubspot.url, lead("flo"))
    outcomes = process_once(instance).outcomes
    assert len(gmail_state(sandbox.gmail.url)["sent"]) == 1
    assert sorted(o.status for o in outcomes) == ["deferred", "sent"]
    (deferred,) = [o for o in outcomes if o.status == "deferred"]
    assert "1 from the mailbox in 24 h (limit 1)" in deferred.reason
    with resources_from_env().app_store.session() as session:
        row = deferrals.get_deferral(session, deferred.partition_key)
        first_send = session.query(send_ledger.SendLedgerEntry).one()
        assert row.next_attempt_at == first_send.claimed_at + timedelta(days=1)
        assert deferrals.due(session, 10) == []
        # When the window has reopened, the deferred-sends sensor asks for sent_email again.
        row.next_attempt_at = first_send.claimed_at
    definitions = build_definitions()
    with build_sensor_context(instance=instance, definitions=definitions,
                              resources=dict(definitions.resources)) as context:  # fmt: skip
        result = definitions.resolve_sensor_def("deferred_sends")(context)
    (request,) = result.run_requests
    assert request.partition_key == deferred.partition_key
    assert request.asset_selection == [AssetKey("sent_email")]


def test_deferred_send_goes_out_once_the_window_has_room(sandbox, instance, monkeypatch):
    monkeypatch.setenv("SALESAGENT_MAILBOX_DAILY_LIMIT", "1")
    add_submission(sandbox.hubspot.url, lead("gus"))
    add_submission(sandbox.hubspot.url, lead("hal"))
    (deferred,) = [o for o in process_once(instance).outcomes if o.status == "deferred"]
    with resources_from_env().app_store.session() as session:
        first_send = session.query(send_ledger.SendLedgerEntry).one()
        first_send.claimed_at -= timedelta(days=2)  # time passes: the window reopens
    resumed = (
        build_definitions()
        .resolve_job_def("process_lead")
        .execute_in_process(
            instance=instance,
            partition_key=deferred.partition_key,
            asset_selection=[AssetKey("sent_email")],
        )
    )
    assert resumed.success
    assert len(gmail_state(sandbox.gmail.url)["sent"]) == 2
    with resources_from_env().app_store.session() as session:
        assert ledger(deferred.partition_key).state == "sent"
        assert deferrals.get_deferral(session, deferred.partition_key) is None

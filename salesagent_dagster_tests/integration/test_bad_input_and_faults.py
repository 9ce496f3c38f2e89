"""Bad input and failing services: a clear recorded reason, never a dead sensor, never a lost
lead, never a second draft."""

from __future__ import annotations

import pytest
import requests
from dagster import DagsterInstance, DagsterRunStatus

from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.sandbox_stack import SANDBOX_REFRESH_TOKEN
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import circuit_breakers, inbox, send_ledger
from salesagent_dagster.store.hubspot_activity import get_activity
from salesagent_dagster_tests.integration.pipeline_harness import (
    add_fault,
    gmail_state,
    hubspot_state,
    process_once,
)

GOOD_LEAD = {
    "email": "ana@brightpath.io",  # the sandbox's known-good domain: auto-approved
    "firstname": "Ana",
    "company": "BrightPath",
}


@pytest.fixture
def instance(sandbox, dagster_home):
    with DagsterInstance.get() as instance:
        yield instance


def _only(result):
    assert len(result.outcomes) == 1
    return result.outcomes[0]


def test_malformed_submission_is_stored_as_rejected_and_the_tick_goes_on(sandbox, instance):
    requests.post(
        f"{sandbox.hubspot.url}/_admin/raw_submissions",
        json={"item": {"submittedAt": "yesterday", "values": "email=x@y.z"}},
        timeout=10,
    ).raise_for_status()
    add_submission(sandbox.hubspot.url, GOOD_LEAD)
    result = process_once(instance)
    rejected = result.by_status("rejected")
    assert [o.reason for o in rejected] == ["submittedAt is missing or not a number"]
    assert len(result.by_status("drafted")) == 1
    with resources_from_env().app_store.session() as session:
        row = inbox.get_submission(session, rejected[0].partition_key)
        assert row.payload["raw"] == {"submittedAt": "yesterday", "values": "email=x@y.z"}


def test_hubspot_rate_limit_on_polling_skips_the_tick_and_loses_nothing(sandbox, instance):
    add_submission(sandbox.hubspot.url, GOOD_LEAD)
    form_id = default_form_id(sandbox.hubspot.url)
    add_fault(
        sandbox.hubspot.url,
        path=f"/submissions/forms/{form_id}",
        mode="status",
        status=429,
        retry_after=1,
    )
    first = process_once(instance)
    assert first.outcomes == [] and first.tick.run_ids == {}
    second = process_once(instance)
    assert _only(second).status == "drafted"


def test_hubspot_5xx_during_enrichment_is_retried_by_the_step(sandbox, instance):
    add_submission(sandbox.hubspot.url, GOOD_LEAD)
    add_fault(
        sandbox.hubspot.url, path="/crm/v3/objects/contacts/search", mode="status", status=503
    )
    outcome = _only(process_once(instance))
    assert (outcome.status, outcome.run_status) == ("drafted", "SUCCESS")


def test_expired_gmail_access_token_is_refreshed_transparently(sandbox, instance):
    add_submission(sandbox.hubspot.url, GOOD_LEAD)
    # What an access token expiring mid-run looks like on the wire: one 401, then the
    # client refreshes against GOOGLE_TOKEN_URI and repeats the request.
    add_fault(sandbox.gmail.url, path="/messages$", method="GET", mode="status", status=401)
    add_fault(sandbox.gmail.url, path="/drafts$", method="POST", mode="status", status=401)
    assert _only(process_once(instance)).status == "drafted"
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1


def test_draft_accepted_then_5xx_is_reconciled_not_recreated(sandbox, instance):
    add_submission(sandbox.hubspot.url, GOOD_LEAD)
    add_fault(
        sandbox.gmail.url, path="/drafts$", method="POST", mode="accept_then_fail", status=500
    )
    outcome = _only(process_once(instance))
    assert outcome.status == "drafted"
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1
    with resources_from_env().app_store.session() as session:
        entry = send_ledger.get_entry(session, outcome.partition_key)
        assert entry.state == "drafted" and entry.attempts == 1 and entry.gmail_draft_id


def test_gmail_5xx_before_accepting_is_tried_again_once_reconciled(sandbox, instance):
    add_submission(sandbox.hubspot.url, GOOD_LEAD)
    add_fault(sandbox.gmail.url, path="/drafts$", method="POST", mode="status", status=503)
    outcome = _only(process_once(instance))
    assert outcome.status == "drafted"
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1
    with resources_from_env().app_store.session() as session:
        assert send_ledger.get_entry(session, outcome.partition_key).attempts == 2


def test_revoked_gmail_grant_fails_fast_as_a_dead_letter(sandbox, instance):
    add_submission(sandbox.hubspot.url, GOOD_LEAD)
    sandbox.gmail.revoke_refresh_token(SANDBOX_REFRESH_TOKEN)
    result = process_once(instance)
    run = instance.get_run_by_id(result.tick.run_ids[result.outcomes[0].partition_key])
    assert run.status == DagsterRunStatus.FAILURE
    events = [entry.dagster_event for entry in instance.all_logs(run.run_id) if entry.dagster_event]
    failures = [event for event in events if event.event_type_value == "STEP_FAILURE"]
    retries = [event for event in events if event.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(failures) == 1 and retries == []  # no retry spent on a permanent error
    assert "reconnect Gmail" in str(failures[0].step_failure_data)
    assert gmail_state(sandbox.gmail.url)["drafts"] == []


def test_duplicate_submission_of_one_person_gets_one_email(sandbox, instance):
    add_submission(sandbox.hubspot.url, GOOD_LEAD)
    add_submission(sandbox.hubspot.url, {**GOOD_LEAD, "email": "ANA@BrightPath.io"})
    result = process_once(instance)
    assert sorted(o.status for o in result.outcomes) == ["disqualified", "drafted"]
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1


def test_gmail_outage_opens_the_breaker_and_the_step_waits_instead_of_failing(
    sandbox, instance, monkeypatch
):
    monkeypatch.setenv("SALESAGENT_BREAKER_FAILURES", "2")
    monkeypatch.setenv("SALESAGENT_BREAKER_OPEN_SECONDS", "5")  # longer than the backoff
    add_submission(sandbox.hubspot.url, GOOD_LEAD)
    add_fault(sandbox.gmail.url, path="/drafts$", method="POST", mode="status", status=503, count=2)
    result = process_once(instance)
    outcome = _only(result)
    assert (outcome.status, outcome.run_status) == ("drafted", "SUCCESS")
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == 1
    run_id = result.tick.run_ids[outcome.partition_key]
    messages = [
        entry.user_message
        for entry in instance.all_logs(run_id)
        if entry.dagster_event and entry.dagster_event.event_type_value == "STEP_UP_FOR_RETRY"
    ]
    assert len(messages) == 3  # two failed calls, then one wait for the open breaker
    with resources_from_env().app_store.session() as session:
        assert circuit_breakers.current(session, "Gmail").position == "closed"


@pytest.mark.parametrize("path", ["/crm/v3/objects/emails", "/crm/v3/objects/tasks"])
@pytest.mark.parametrize("mode", ["accept_then_fail", "accept_then_drop"])
def test_hubspot_create_whose_answer_is_lost_is_adopted_not_repeated(sandbox, instance, path, mode):
    """HubSpot stored the engagement (or task) but we never heard: the retry finds it by its
    identifying properties instead of logging it twice."""
    add_submission(sandbox.hubspot.url, {"email": "ana@brightpath.io", "firstname": "Ana"})
    add_fault(sandbox.hubspot.url, path=f"^{path}$", method="POST", mode=mode, status=502)
    (outcome,) = process_once(instance).outcomes
    assert (outcome.status, outcome.run_status) == ("drafted", "SUCCESS")
    objects = hubspot_state(sandbox.hubspot.url)["objects"]
    assert len(objects["emails"]) == 1 and len(objects["tasks"]) == 1
    with resources_from_env().app_store.session() as session:
        activity = get_activity(session, outcome.partition_key)
        kind = "emails" if path.endswith("emails") else "tasks"
        logged = activity.email_engagement_id if kind == "emails" else activity.task_id
        assert logged == objects[kind][0]["id"]

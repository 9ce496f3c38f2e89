"""The undo window (SALESAGENT_SEND_DELAY_SECONDS): an approved email waits before it goes to
Gmail; the kill switch, a hold or a reject stops it meanwhile; it still goes exactly once.

The window "passes" by setting the delay to 0 (its end, approved_at + 0, is then past): the
same state as waiting an hour, without a clock in the test."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from click.testing import CliRunner
from dagster import DagsterInstance

from salesagent_dagster.cli import main
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.services.delivery import Delivered, Held, NotApproved, deliver
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import controls, deferrals, send_ledger
from salesagent_dagster.store.models import utc_now
from salesagent_dagster_tests.integration.pipeline_harness import gmail_state, process_once

LEAD = {"email": "kim@brightpath.io", "firstname": "Kim", "company": "BrightPath"}  # known-good
LOG = logging.getLogger("test")


def _delivered(sandbox) -> int:  # type: ignore[no-untyped-def]
    state = gmail_state(sandbox.gmail.url)
    return len(state["drafts"]) + len(state["sent"])


def _approved_and_waiting(sandbox, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SALESAGENT_SEND_DELAY_SECONDS", "3600")
    add_submission(sandbox.hubspot.url, LEAD)
    with DagsterInstance.get() as instance:
        (outcome,) = process_once(instance).outcomes
    assert outcome.status == "deferred", outcome
    assert outcome.reason.startswith(deferrals.UNDO_WINDOW)
    assert _delivered(sandbox) == 0
    return outcome.partition_key


def _deliver_after_the_window(key: str, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SALESAGENT_SEND_DELAY_SECONDS", "0")
    resources = resources_from_env(resolve_secrets=True)
    return deliver(key, resources.app_store, resources.gmail, resources.outreach, LOG)


def test_approved_email_waits_out_the_window_then_goes_exactly_once(
    sandbox, dagster_home, monkeypatch
):
    key = _approved_and_waiting(sandbox, monkeypatch)
    with resources_from_env().app_store.session() as session:
        row = deferrals.get_deferral(session, key)
        assert row is not None and row.next_attempt_at > utc_now() + timedelta(minutes=59)
        assert send_ledger.get_entry(session, key) is None  # nothing claimed in the window

    assert isinstance(_deliver_after_the_window(key, monkeypatch), Delivered)
    assert isinstance(_deliver_after_the_window(key, monkeypatch), Delivered)  # a re-run

    assert _delivered(sandbox) == 1
    with resources_from_env().app_store.session() as session:
        assert deferrals.get_deferral(session, key) is None
        assert send_ledger.get_entry(session, key).state == "drafted"


def test_hold_in_the_window_stops_the_send_until_approved_again(sandbox, dagster_home, monkeypatch):
    key = _approved_and_waiting(sandbox, monkeypatch)

    held = CliRunner().invoke(main, ["review", "hold", key, "--reviewer", "dana", "--reason", "x"])
    assert held.exit_code == 0, held.output
    assert "held" in held.output
    # Back in the queue, marked held, until someone decides it again.
    listed = CliRunner().invoke(main, ["review", "list", "--json"])
    (row,) = json.loads(listed.output)["queue"]
    assert row["partition_key"] == key and row["held"] == {"by": "dana", "reason": "x"}
    assert "held by dana: x" in CliRunner().invoke(main, ["review", "list"]).output
    assert isinstance(_deliver_after_the_window(key, monkeypatch), NotApproved)
    assert _delivered(sandbox) == 0
    again = CliRunner().invoke(main, ["review", "hold", key, "--reviewer", "dana", "--reason", "x"])
    assert again.exit_code != 0 and "nothing to hold" in again.output

    approved = CliRunner().invoke(
        main, ["review", "approve", key, "--reviewer", "dana", "--reason", "checked"]
    )
    assert approved.exit_code == 0, approved.output
    assert _delivered(sandbox) == 1
    assert json.loads(CliRunner().invoke(main, ["review", "list", "--json"]).output) == {
        "queue": []
    }
    assert isinstance(_deliver_after_the_window(key, monkeypatch), Delivered)
    assert _delivered(sandbox) == 1


def test_kill_switch_in_the_window_holds_the_send(sandbox, dagster_home, monkeypatch):
    key = _approved_and_waiting(sandbox, monkeypatch)
    with resources_from_env().app_store.session() as session:
        controls.set_control(session, controls.KILL_SWITCH, True, actor="dana", reason="incident")

    assert isinstance(_deliver_after_the_window(key, monkeypatch), Held)
    assert _delivered(sandbox) == 0


def test_a_hold_after_the_email_went_is_refused(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("SALESAGENT_SEND_DELAY_SECONDS", "0")
    add_submission(sandbox.hubspot.url, LEAD)
    with DagsterInstance.get() as instance:
        (outcome,) = process_once(instance).outcomes
    assert outcome.status == "drafted"

    held = CliRunner().invoke(
        main, ["review", "hold", outcome.partition_key, "--reviewer", "dana", "--reason", "x"]
    )

    assert held.exit_code != 0 and "too late" in held.output
    assert _delivered(sandbox) == 1

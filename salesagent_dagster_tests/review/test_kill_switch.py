"""The kill switch: while on, nothing is sent; held sends resume once it is off; every
toggle is recorded."""

from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance, build_sensor_context

from salesagent_dagster.cli import main
from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import controls, send_ledger
from salesagent_dagster.store.models import AuditEvent, SendLedgerEntry, utc_now
from salesagent_dagster_tests.integration.pipeline_harness import gmail_state, process_once


@pytest.fixture
def instance(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("ALLOW_REAL_SENDS", "true")
    with DagsterInstance.get() as instance:
        yield instance


SWITCH_ON = {"enabled": True, "operator": "dana", "reason": "bad template spotted"}


def good_lead(name: str) -> dict[str, str]:
    return {"email": f"{name}@brightpath.io", "firstname": name.title(), "company": "BrightPath"}


def sent_count(sandbox) -> int:
    return len(gmail_state(sandbox.gmail.url)["sent"])


def resume_held(instance) -> list[str]:
    """One tick of the deferred-sends sensor, and its runs, as the daemon would do them."""
    definitions = build_definitions()
    with build_sensor_context(
        instance=instance, definitions=definitions, resources=dict(definitions.resources or {})
    ) as context:
        result = definitions.resolve_sensor_def("deferred_sends")(context)
    keys = []
    for request in result.run_requests or []:
        definitions.resolve_job_def("process_lead").execute_in_process(
            instance=instance,
            partition_key=request.partition_key,
            asset_selection=request.asset_selection,
        )
        keys.append(request.partition_key)
    return keys


def test_switch_on_holds_sends_and_off_resumes_them_once(sandbox, instance):
    build_definitions().resolve_job_def("set_kill_switch").execute_in_process(
        instance=instance,
        run_config={"ops": {"flip_kill_switch": {"config": SWITCH_ON}}},
    )
    add_submission(sandbox.hubspot.url, good_lead("ana"))
    add_submission(sandbox.hubspot.url, good_lead("bea"))
    outcomes = process_once(instance).outcomes
    assert [o.status for o in outcomes] == ["held", "held"]
    assert {o.run_status for o in outcomes} == {"SUCCESS"}
    assert sent_count(sandbox) == 0
    assert resume_held(instance) == []  # nothing resumes while the switch is on

    answer = CliRunner().invoke(main, ["kill-switch", "status"])
    assert "ON; 2 sends held" in answer.output
    answer = CliRunner().invoke(main, ["kill-switch", "off", "--reason", "fixed", "--by", "dana"])
    assert answer.exit_code == 0, answer.output

    assert sorted(resume_held(instance)) == sorted(o.partition_key for o in outcomes)
    assert sent_count(sandbox) == 2
    assert resume_held(instance) == []  # nothing left held, nothing sent twice
    assert sent_count(sandbox) == 2
    with resources_from_env().app_store.session() as session:
        toggles = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.id)]
    assert toggles.count("kill_switch_on") == 1 and toggles.count("kill_switch_off") == 1


def test_env_override_forces_the_switch_on(sandbox, instance, monkeypatch):
    monkeypatch.setenv("SALESAGENT_KILL_SWITCH", "true")
    add_submission(sandbox.hubspot.url, good_lead("cy"))
    (outcome,) = process_once(instance).outcomes
    assert outcome.status == "held" and sent_count(sandbox) == 0
    answer = CliRunner().invoke(main, ["kill-switch", "status"])
    assert "forced on by SALESAGENT_KILL_SWITCH" in answer.output


def test_flip_mid_burst_stops_every_later_send_and_loses_nothing(sandbox, instance):
    names = ["dee", "eli", "fay", "gil", "hop"]
    for name in names:
        add_submission(sandbox.hubspot.url, good_lead(name))
    flipped_at: list = []

    def flip_after_first_send() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sent_count(sandbox) < 1:
            time.sleep(0.02)
        with resources_from_env().app_store.session() as session:
            controls.set_control(
                session, controls.KILL_SWITCH, True, actor="dana", reason="mid-burst"
            )
        flipped_at.append(utc_now())

    flipper = threading.Thread(target=flip_after_first_send)
    flipper.start()
    outcomes = process_once(instance).outcomes
    flipper.join()
    with resources_from_env().app_store.session() as session:
        claims = [entry.claimed_at for entry in session.query(SendLedgerEntry)]
    assert claims and all(claimed <= flipped_at[0] for claimed in claims)
    held = [o for o in outcomes if o.status == "held"]
    assert held and len(held) + sent_count(sandbox) == len(names)

    with resources_from_env().app_store.session() as session:
        controls.set_control(session, controls.KILL_SWITCH, False, actor="dana", reason="ok")
    resume_held(instance)
    assert sent_count(sandbox) == len(names)
    with resources_from_env().app_store.session() as session:
        for outcome in outcomes:
            entry = send_ledger.get_entry(session, outcome.partition_key)
            assert entry is not None and entry.state == "sent"

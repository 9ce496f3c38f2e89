"""Pushed submissions start their runs through a real Dagster webserver's GraphQL API, and
the sensor neither doubles them nor loses one whose start failed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    RunsFilter,
    SensorResult,
    build_sensor_context,
)
from dagster._core.utils import make_new_run_id
from sqlalchemy import update

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.instance import REPO_ROOT
from salesagent_dagster.local.sandbox_stack import SandboxStack
from salesagent_dagster.resources.dagster_webserver import DagsterWebserverClient
from salesagent_dagster.services.pushed_runs import INTAKE_TAG, start_pushed_runs
from salesagent_dagster.services.run_tags import RUN_KEY_TAG, SUBMISSIONS_PARTITIONS_NAME
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import inbox
from salesagent_dagster.store.models import Submission, utc_now

FORM_VALUES = {"email": "ana@acme.io", "firstname": "Ana", "company": "Acme"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def webserver(sandbox: SandboxStack, dagster_home: Path) -> Iterator[str]:
    """`dagster-webserver` on the repository's code location, over this test's instance."""
    port = _free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dagster-webserver")),
            "-w", str(REPO_ROOT / "workspace.yaml"),  # the location name production uses
            "-h", "127.0.0.1", "-p", str(port),
        ],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_location(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_location(url: str, process: subprocess.Popen[bytes]) -> None:
    query = "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "dagster-webserver exited"
        try:
            answer = requests.post(f"{url}/graphql", json={"query": query}, timeout=5).json()
            entries = answer["data"]["workspaceOrError"]["locationEntries"]
            if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
                return
        except (requests.RequestException, KeyError, TypeError, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError("the code location did not load in the webserver")


def _stored_submission(conversion_id: str) -> str:
    from salesagent_dagster.services.submission_intake import store_submission

    resources = resources_from_env()
    item = {
        "conversionId": conversion_id,
        "submittedAt": int(time.time() * 1000),
        "values": [{"name": k, "value": v} for k, v in FORM_VALUES.items()],
    }
    with resources.app_store.session() as session:
        return store_submission(session, "form", item, resources.outreach.fingerprint).partition_key


def _evaluate_intake_sensor(instance: DagsterInstance) -> SensorResult:
    definitions = build_definitions()
    sensor = definitions.resolve_sensor_def("hubspot_submissions")
    with build_sensor_context(
        instance=instance,
        definitions=definitions,
        sensor_name="hubspot_submissions",
        resources=dict(definitions.resources or {}),
    ) as context:
        result = sensor(context)
    assert isinstance(result, SensorResult)
    return result


def test_a_pushed_lead_s_run_is_started_once_and_the_sensor_leaves_it(webserver: str):
    key = _stored_submission("conv-pushed")
    app_store = resources_from_env().app_store
    client = DagsterWebserverClient(webserver, "salesagent_dagster")

    [run_id] = start_pushed_runs(app_store, client, [key])
    assert start_pushed_runs(app_store, client, [key]) == []  # claimed: never a second run

    instance = DagsterInstance.get()
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.job_name == "process_lead"
    assert (run.tags[RUN_KEY_TAG], run.tags["dagster/partition"], run.tags[INTAKE_TAG]) == (
        key,
        key,
        "webhook",
    )
    assert instance.has_dynamic_partition(SUBMISSIONS_PARTITIONS_NAME, key)
    assert not [r for r in _evaluate_intake_sensor(instance).run_requests if r.run_key == key]


def test_a_pushed_lead_behind_busy_run_slots_is_left_to_the_batch_runs(webserver: str):
    instance = DagsterInstance.get()
    for _ in range(2):  # max_concurrent_runs (dagster.yaml): both slots taken
        instance.add_run(
            DagsterRun(
                job_name="process_lead", run_id=make_new_run_id(), status=DagsterRunStatus.STARTED
            )
        )
    key = _stored_submission("conv-waiting")
    app_store = resources_from_env().app_store
    client = DagsterWebserverClient(webserver, "salesagent_dagster")

    assert client.free_run_slots() == 0
    assert start_pushed_runs(app_store, client, [key]) == []
    with app_store.session() as session:  # unclaimed: the lead_backlog sensor takes it
        assert key in [row.partition_key for row in inbox.undispatched(session, 10)]


def test_a_start_that_fails_gives_the_lead_back_to_the_sensor(
    sandbox: SandboxStack, dagster_home: Path
):
    key = _stored_submission("conv-unstarted")
    app_store = resources_from_env().app_store
    nowhere = DagsterWebserverClient(f"http://127.0.0.1:{_free_port()}", "salesagent_dagster")

    assert start_pushed_runs(app_store, nowhere, [key]) == []
    with app_store.session() as session:
        assert key in [row.partition_key for row in inbox.undispatched(session, 10)]
    requested = _evaluate_intake_sensor(DagsterInstance.get()).run_requests
    assert [r.run_key for r in requested] == [key]


def test_a_claim_whose_run_never_started_is_swept_up_by_the_sensor(
    sandbox: SandboxStack, dagster_home: Path
):
    key = _stored_submission("conv-lost")
    app_store = resources_from_env().app_store
    with app_store.session() as session:  # a starter that died between claim and launch
        assert inbox.claim_dispatch(session, [key]) == [key]
    instance = DagsterInstance.get()
    assert _evaluate_intake_sensor(instance).run_requests in (None, [])  # still in its grace

    with app_store.session() as session:
        session.execute(
            update(Submission)
            .where(Submission.partition_key == key)
            .values(dispatched_at=utc_now() - timedelta(minutes=2))
        )
    requested = _evaluate_intake_sensor(instance).run_requests
    assert [r.run_key for r in requested] == [key]
    assert not instance.get_runs(filters=RunsFilter(tags={RUN_KEY_TAG: key}))

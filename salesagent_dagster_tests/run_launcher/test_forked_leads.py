"""A lead through the real `dagster-daemon` with the forking launcher: its run worker is forked
from the zygote, the lead gets its Gmail draft; a forked worker killed mid-run is caught by
run monitoring and the lead re-run by run retries, and still gets exactly one draft; a run of
the warehouse location is forked from a zygote of that location."""

from __future__ import annotations

import os
import signal
import time
from urllib.parse import urlsplit

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from salesagent_dagster.code_locations import WAREHOUSE_LOCATION
from salesagent_dagster.defs.analytics.warehouse_export import raw_asset_key
from salesagent_dagster.local.bench_daemon import (
    BENCH_DOMAIN,
    daemon_environment,
    running_daemon,
    running_webserver,
    wait_for_delivery,
)
from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.sandbox_stack import running_sandbox
from salesagent_dagster.run_launcher.worker_identity import RUN_WORKER_TAG, WorkerIdentity
from salesagent_dagster.run_launcher.zygote import READY_LOG_PREFIX, WORKER_EXIT_LOG_PREFIX
from salesagent_dagster.store.warehouse import RAW_TABLES
from salesagent_dagster_tests.run_launcher.daemon_harness import (
    daemon_log,
    engine_messages,
    forking_home,
    messages_per_recipient,
    wait_for_finished_retry,
    wait_for_forked_run,
)


@pytest.mark.timeout(600)
def test_a_lead_run_is_forked_from_the_zygote_and_gets_its_draft():
    address = f"forked@{BENCH_DOMAIN}"
    with forking_home("salesagent-fork-") as home, running_sandbox() as stack:
        with running_daemon(stack, home):
            add_submission(stack.hubspot.url, {"email": address, "firstname": "Fork"})
            delivered = wait_for_delivery(stack.gmail.url, {address}, timeout_s=300)
            assert delivered, daemon_log(home)[-3000:]
            deadline = time.monotonic() + 60
            while WORKER_EXIT_LOG_PREFIX not in daemon_log(home):
                assert time.monotonic() < deadline, daemon_log(home)[-3000:]
                time.sleep(0.2)
        with DagsterInstance.from_config(str(home)) as instance:
            (run,) = [r for r in instance.get_runs() if r.job_name == "process_lead"]
            worker = WorkerIdentity.from_tag_value(run.tags[RUN_WORKER_TAG])
            messages = engine_messages(instance, run.run_id)
        assert run.status == DagsterRunStatus.SUCCESS
        assert worker is not None
        assert f"Started process for run (pid: {worker.pid})." in messages
        assert not [m for m in messages if "Forking run launcher:" in m]
        assert daemon_log(home).count(READY_LOG_PREFIX) == 1
        assert messages_per_recipient(stack.gmail.url)[address] == 1


@pytest.mark.timeout(600)
def test_a_killed_forked_worker_is_caught_by_run_monitoring_and_the_lead_gets_one_draft():
    address = f"killed@{BENCH_DOMAIN}"
    with forking_home("salesagent-fork-kill-") as home, running_sandbox() as stack:
        form_id = default_form_id(stack.hubspot.url)
        with (
            running_daemon(stack, home),
            DagsterInstance.from_config(str(home)) as instance,
        ):
            add_submission(stack.hubspot.url, {"email": address, "firstname": "Kill"}, form_id)
            run = wait_for_forked_run(instance)
            worker = WorkerIdentity.from_tag_value(run.tags[RUN_WORKER_TAG])
            assert worker is not None
            # Frozen first, so that it is certainly mid-run when killed.
            os.kill(worker.pid, signal.SIGSTOP)
            still = instance.get_run_by_id(run.run_id)
            assert still is not None and still.status == DagsterRunStatus.STARTED
            os.kill(worker.pid, signal.SIGKILL)

            retry = wait_for_finished_retry(instance, run.run_id, daemon_log_of=home)
            killed = instance.get_run_by_id(run.run_id)
            messages = engine_messages(instance, run.run_id)
        assert killed is not None and killed.status == DagsterRunStatus.FAILURE
        assert any(f"run worker process {worker.pid} is gone" in m for m in messages)
        assert retry.status == DagsterRunStatus.SUCCESS
        assert messages_per_recipient(stack.gmail.url)[address] == 1


@pytest.mark.timeout(600)
def test_a_warehouse_run_is_forked_from_a_zygote_of_its_own_location():
    """The warehouse is its own code location (dbt and all): its runs are forked from a zygote
    of that location, never from the lead location's, and build the marts."""
    with forking_home("salesagent-fork-wh-") as home, running_sandbox() as stack:
        env = daemon_environment(stack, home)
        with (
            running_daemon(stack, home),
            running_webserver(env, home / "webserver.log") as (url, _),
            DagsterInstance.from_config(str(home)) as instance,
        ):
            client = DagsterGraphQLClient(urlsplit(url).hostname, port_number=urlsplit(url).port)
            run_id = client.submit_job_execution(
                "refresh_warehouse", repository_location_name=WAREHOUSE_LOCATION
            )
            deadline = time.monotonic() + 300
            while not (run := instance.get_run_by_id(run_id)) or not run.is_finished:
                assert time.monotonic() < deadline, daemon_log(home)[-3000:]
                time.sleep(0.5)
            messages = engine_messages(instance, run_id)
            first_table = raw_asset_key(next(iter(RAW_TABLES)))
            materialized = instance.get_latest_materialization_event(first_table)
        ready = [line for line in daemon_log(home).splitlines() if READY_LOG_PREFIX in line]
        assert run.status == DagsterRunStatus.SUCCESS, messages[-20:]
        assert not [m for m in messages if "Forking run launcher:" in m]
        assert RUN_WORKER_TAG in run.tags
        assert any(line.endswith(f" {WAREHOUSE_LOCATION}") for line in ready), ready
        assert materialized is not None and materialized.run_id == run_id

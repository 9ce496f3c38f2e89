"""No address in the event log or compute logs (DESIGN I-6), with the redacting log filter
installed as definitions.py installs it: a full lead run against the emulators, and a run
whose op logs an address on purpose (which, without the filter, does reach both)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from dagster import DagsterInstance, job, op
from dagster._serdes import serialize_value

from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.observability.redaction import (
    REDACTED_EMAIL,
    install_log_redaction,
    uninstall_log_redaction,
)
from salesagent_dagster_tests.conftest import fresh_dagster_home, sandbox_env
from salesagent_dagster_tests.integration.pipeline_harness import process_once

LEAD = {"email": "ines.moreau@quanta-freight.fr", "firstname": "Inès", "lastname": "Moreau",
        "company": "Quanta Freight", "jobtitle": "COO", "numemployees": "501-1000"}  # fmt: skip
LOUD = "loud.person@leaky-example.org"


@op
def log_an_address(context) -> None:  # type: ignore[no-untyped-def]
    context.log.info(f"writing to {LOUD}")
    logging.getLogger("salesagent.tests").warning("contact %s", LOUD)


@job
def noisy_job() -> None:
    log_an_address()


def _stored_text(instance: DagsterInstance, run_id: str, home: Path) -> str:
    events = "\n".join(serialize_value(entry) for entry in instance.all_logs(run_id))
    logs = [p for p in (home / "storage" / run_id).rglob("*") if p.is_file()]
    assert logs, "compute logs were captured"
    return (events + "\n".join(p.read_text("utf-8", "replace") for p in logs)).lower()


@pytest.fixture
def redaction():
    install_log_redaction()
    yield
    uninstall_log_redaction()


def test_a_full_lead_run_leaves_no_address_in_events_or_compute_logs(redaction, tmp_path):
    with sandbox_env() as sandbox, fresh_dagster_home(tmp_path) as home:
        add_submission(sandbox.hubspot.url, LEAD)
        with DagsterInstance.get() as instance:
            result = process_once(instance)
            [run_id] = result.tick.run_ids.values()
            text = _stored_text(instance, run_id, home)
    assert "draft" in text  # the scan does read the run
    assert LEAD["email"] not in text and LEAD["lastname"].lower() not in text


def test_an_address_logged_by_an_op_is_redacted_in_events_and_compute_logs(redaction, tmp_path):
    with fresh_dagster_home(tmp_path) as home, DagsterInstance.get() as instance:
        run_id = noisy_job.execute_in_process(instance=instance).run_id
        text = _stored_text(instance, run_id, home)
    assert REDACTED_EMAIL.lower() in text
    assert LOUD not in text


def test_without_the_filter_the_address_reaches_the_event_log(tmp_path):
    uninstall_log_redaction()
    with fresh_dagster_home(tmp_path) as home, DagsterInstance.get() as instance:
        run_id = noisy_job.execute_in_process(instance=instance).run_id
        assert LOUD in _stored_text(instance, run_id, home)

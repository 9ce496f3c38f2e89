"""Retention against a real morning of leads: old leads leave the app DB and the Dagster
instance (runs, events, compute logs, partitions); recent drafts only lose their bodies;
a dry run counts the same and removes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dagster import DagsterInstance, RunsFilter
from sqlalchemy import select, update

from salesagent_dagster.defs.privacy.retention_job import enforce_retention
from salesagent_dagster.local.demo_seed import seed_demo
from salesagent_dagster.services.run_tags import SUBMISSIONS_PARTITIONS_NAME as PARTITIONS_DEF_NAME
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import audit
from salesagent_dagster.store.models import AuditEvent, Draft, Submission, utc_now
from salesagent_dagster.store.partition_rows import count_partition_rows
from salesagent_dagster_tests.conftest import fresh_dagster_home, sandbox_env
from salesagent_dagster_tests.integration.pipeline_harness import process_once


@pytest.fixture
def aged(tmp_path):
    """The demo processed; the first three leads made 100 days old, every draft 40 days
    old, and one audit record two years old."""
    with sandbox_env() as sandbox, fresh_dagster_home(tmp_path) as home:
        seed_demo(sandbox.hubspot.url, sandbox.gmail.url)
        with DagsterInstance.get() as instance:
            process_once(instance)
            app_store = resources_from_env().app_store
            now = utc_now()
            with app_store.session() as session:
                keys = list(
                    session.scalars(select(Submission.partition_key).order_by(Submission.id))
                )
                old = keys[:3]
                session.execute(
                    update(Submission)
                    .where(Submission.partition_key.in_(old))
                    .values(received_at=now - timedelta(days=100))
                )
                session.execute(update(Draft).values(created_at=now - timedelta(days=40)))
                stale = audit.record(session, actor="t", action="old", subject=None)
                stale.at = now - timedelta(days=800)
            yield instance, app_store, old, keys[3:], home


def _run(instance, app_store, dry_run):
    result = enforce_retention.execute_in_process(
        instance=instance,
        resources={"app_store": app_store},
        run_config={"ops": {"apply_retention_windows": {"config": {"dry_run": dry_run}}}},
    )
    assert result.success
    [materialized] = result.get_step_success_events()
    output = result.all_node_events
    metadata = next(e for e in output if e.event_type_value == "STEP_OUTPUT").step_output_data
    assert materialized.step_key == "apply_retention_windows"
    return {k: v.value for k, v in metadata.metadata.items()}


def test_dry_run_counts_and_removes_nothing(aged):
    instance, app_store, old, _, _ = aged
    runs_before = len(instance.get_runs())
    counts = _run(instance, app_store, dry_run=True)
    assert counts["dry_run"] is True and counts["expired_leads"] == 3
    assert counts["dagster_runs"] == 3 and counts["rows_leads"] >= 1
    assert counts["draft_bodies_blanked"] >= 1 and counts["audit_events"] == 1
    assert len(instance.get_runs()) == runs_before + 1  # only the retention run itself
    with app_store.session() as session:
        assert sum(count_partition_rows(session, old).values()) == counts["rows_submissions"] + sum(
            v for k, v in counts.items() if k.startswith("rows_") and k != "rows_submissions"
        )
        assert session.scalar(select(Draft.body_text).limit(1)) != ""


def test_expired_leads_leave_every_store_and_old_drafts_lose_their_bodies(aged):
    instance, app_store, old, recent, home = aged
    old_runs = [r.run_id for r in instance.get_runs(RunsFilter(tags={"dagster/partition": old}))]
    assert len(old_runs) == 3 and all((home / "storage" / r).exists() for r in old_runs)

    counts = _run(instance, app_store, dry_run=False)

    assert counts["expired_leads"] == 3 and counts["dagster_runs"] == 3
    assert instance.get_runs(RunsFilter(run_ids=old_runs)) == []
    assert not any((home / "storage" / r).exists() for r in old_runs)
    partitions = set(instance.get_dynamic_partitions(PARTITIONS_DEF_NAME))
    assert not partitions & set(old) and set(recent) <= partitions
    with app_store.session() as session:
        assert set(count_partition_rows(session, old).values()) == {0}
        assert count_partition_rows(session, recent)["submissions"] == len(recent)
        bodies = list(session.scalars(select(Draft.body_text)))
        assert bodies and set(bodies) == {""}  # rows kept, text gone
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "old")) is None
    again = _run(instance, app_store, dry_run=False)
    assert again["expired_leads"] == 0 and again["draft_bodies_blanked"] == 0

"""Erasure and retention reach batch runs (DESIGN I-7): an erased lead's events leave the
batch run it shared with others (its draft preview, the one PII in event metadata, with
them), the other leads' stay, and the run goes whole once no lead in it is left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from dagster import AssetKey, DagsterInstance
from dagster._serdes import serialize_value
from sqlalchemy import update

from salesagent_dagster.cli.privacy_commands import erase
from salesagent_dagster.services.lead_batching import step_of_lead
from salesagent_dagster.services.privacy.retention import apply_retention
from salesagent_dagster.services.privacy.retention_settings import RetentionSettings
from salesagent_dagster.services.privacy.verification import VerificationReport, scan_files
from salesagent_dagster.services.run_tags import BATCH_TAG
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import lead_batches
from salesagent_dagster.store.models import Submission, utc_now
from salesagent_dagster_tests.integration.pipeline_harness import run_backlog, store_waiting
from salesagent_dagster_tests.integration.test_lead_batches import (
    LEAD_ASSETS,
    check_executions,
    materializations,
)

PEOPLE = [
    {"email": "ottoline@brightpath.io", "firstname": "Ottoline", "company": "BrightPath"},
    {"email": "peregrin@brightpath.io", "firstname": "Peregrin", "company": "BrightPath"},
    {"email": "quillon@brightpath.io", "firstname": "Quillon", "company": "BrightPath"},
]


@pytest.fixture
def batched(sandbox, dagster_home):
    with DagsterInstance.get() as instance:
        keys = store_waiting(sandbox.hubspot.url, PEOPLE)
        _, run = run_backlog(instance)
        assert run.status.value == "SUCCESS"
        yield instance, keys, run, dagster_home


def _everything_about(instance, run_id: str, key: str) -> list[str]:
    """Every serialized event Dagster holds that could be about this lead: the batch run's
    events, its check executions, the asset index and the lead's partition's events."""
    texts = [serialize_value(entry) for entry in instance.all_logs(run_id)]
    texts += [serialize_value(r.event) for r in check_executions(instance, run_id) if r.event]
    for asset in LEAD_ASSETS:
        latest = instance.get_latest_materialization_event(AssetKey(asset))
        texts.append(serialize_value(latest) if latest else "")
        texts += [
            serialize_value(r.event_log_entry) for r in materializations(instance, asset, key)
        ]
    return texts


def test_erasing_one_lead_of_a_batch_takes_its_events_and_leaves_the_others(batched):
    instance, keys, run, home = batched
    erased, kept = keys[0], keys[1:]
    preview = materializations(instance, "draft", erased)[0].asset_materialization.metadata
    assert "Ottoline" in preview["preview"].value  # the preview names the person
    assert any("Ottoline" in text for text in _everything_about(instance, run.run_id, erased))

    outcome = CliRunner().invoke(erase, [PEOPLE[0]["email"], "--yes"])

    assert outcome.exit_code == 0, outcome.output
    assert "the address was found nowhere" in outcome.output
    assert instance.get_run_by_id(run.run_id) is not None  # two leads are still in it
    texts = _everything_about(instance, run.run_id, erased)
    assert not any("Ottoline" in text or "ottoline@" in text.lower() for text in texts)
    assert not any(
        entry.step_key == step_of_lead(erased) for entry in instance.all_logs(run.run_id)
    )
    assert all(materializations(instance, asset, erased) == [] for asset in LEAD_ASSETS)
    assert {r.partition for r in check_executions(instance, run.run_id)} == set(kept)
    for key in kept:
        assert [len(materializations(instance, asset, key)) for asset in LEAD_ASSETS] == [1] * 5
    files = [p for p in home.rglob("*") if p.is_file() and not p.name.startswith("salesagent")]
    assert scan_files(files, ["ottoline"], VerificationReport(), "dagster home") == []
    with resources_from_env().app_store.session() as session:
        assert lead_batches.batches_of(session, keys) == {run.tags[BATCH_TAG]: set(kept)}

    for person in PEOPLE[1:]:
        outcome = CliRunner().invoke(erase, [person["email"], "--yes"])
        assert outcome.exit_code == 0, outcome.output

    assert instance.get_run_by_id(run.run_id) is None  # no one left in it: gone whole
    assert not (home / "storage" / run.run_id).exists()


def test_retention_takes_a_batch_run_once_every_lead_in_it_expired(batched):
    instance, keys, run, _ = batched
    app_store = resources_from_env().app_store
    with app_store.session() as session:
        session.execute(
            update(Submission)
            .where(Submission.partition_key.in_(keys[:2]))
            .values(received_at=utc_now() - timedelta(days=400))
        )
    report = apply_retention(app_store.session, instance, RetentionSettings())

    assert report.expired_leads == 2
    assert instance.get_run_by_id(run.run_id) is not None
    assert [len(materializations(instance, "draft", key)) for key in keys] == [0, 0, 1]

    with app_store.session() as session:
        session.execute(
            update(Submission)
            .where(Submission.partition_key == keys[2])
            .values(received_at=utc_now() - timedelta(days=400))
        )
    apply_retention(app_store.session, instance, RetentionSettings())

    assert instance.get_run_by_id(run.run_id) is None

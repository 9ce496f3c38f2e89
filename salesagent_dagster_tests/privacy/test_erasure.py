"""Erasing a person reaches every store and a scan of every store proves it (DESIGN I-7):
the demo's morning is processed for real against the emulators, then one person is erased
through `salesagent erase`. Each test reads the state it needs from a fixture, not from a test
that ran before it: the erase is the `erased` fixture, and the asset-index test erases a
lead of its own."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from dagster import AssetKey, DagsterInstance, RunsFilter
from sqlalchemy import select

from salesagent_dagster.cli.privacy_commands import erase, export
from salesagent_dagster.local.demo_seed import add_submission, seed_demo
from salesagent_dagster.services.privacy.person_lookup import address_hashes, partition_keys_of
from salesagent_dagster.services.privacy.verification import (
    VerificationReport,
    scan_files,
    verify_erased,
)
from salesagent_dagster.services.run_tags import SUBMISSIONS_PARTITIONS_NAME as PARTITIONS_DEF_NAME
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import suppression
from salesagent_dagster.store.models import AuditEvent, Lead, Submission
from salesagent_dagster.store.partition_rows import count_partition_rows
from salesagent_dagster_tests.conftest import fresh_dagster_home, sandbox_env
from salesagent_dagster_tests.integration.pipeline_harness import gmail_state, process_once

ERASED = "priya@northwind-logistics.com"
KEPT = "aiko@brightpath.io"


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    with sandbox_env() as sandbox, fresh_dagster_home(tmp_path_factory.mktemp("erasure")) as home:
        seed_demo(sandbox.hubspot.url, sandbox.gmail.url)
        with DagsterInstance.get() as instance:
            result = process_once(instance)
            yield sandbox, instance, result, home


@dataclass(frozen=True)
class Erasure:
    """What there was of ERASED before `salesagent erase`, and what the command said."""

    keys: list[str]
    run_ids: list[str]
    drafts_before: int
    other_run_ids: list[str]
    output: str
    exit_code: int


@pytest.fixture(scope="module")
def erased(processed) -> Erasure:
    sandbox, instance, _, _ = processed
    keys = _keys_of(ERASED)
    run_ids = [r.run_id for r in instance.get_runs(RunsFilter(tags={"dagster/partition": keys}))]
    drafts_before = len(gmail_state(sandbox.gmail.url)["drafts"])
    other_run_ids = [r.run_id for r in instance.get_runs() if r.run_id not in run_ids]
    outcome = CliRunner().invoke(erase, [ERASED, "--yes", "--actor", "dpo@seller.example"])
    return Erasure(keys, run_ids, drafts_before, other_run_ids, outcome.output, outcome.exit_code)


def _keys_of(address: str) -> list[str]:
    resources = resources_from_env(resolve_secrets=True)
    with resources.app_store.session() as session:
        return partition_keys_of(session, address, address_hashes(address, resources.outreach.salt))


def test_erase_removes_the_person_everywhere_and_the_scan_finds_nothing(processed, erased):
    sandbox, instance, _, home = processed
    keys, run_ids = erased.keys, erased.run_ids
    assert len(keys) == 2  # the lead and their second, duplicate submission
    assert run_ids

    assert erased.exit_code == 0, erased.output
    assert "the address was found nowhere" in erased.output
    assert ERASED not in erased.output.lower()
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == erased.drafts_before - 1
    assert instance.get_runs(RunsFilter(run_ids=run_ids)) == []
    kept = instance.get_runs(RunsFilter(run_ids=erased.other_run_ids))
    assert {r.run_id for r in kept} == set(erased.other_run_ids)  # nobody else's
    assert not set(keys) & set(instance.get_dynamic_partitions(PARTITIONS_DEF_NAME))
    assert not any((home / "storage" / run_id).exists() for run_id in run_ids)
    resources = resources_from_env(resolve_secrets=True)
    with resources.app_store.session() as session:
        left = {table: n for table, n in count_partition_rows(session, keys).items() if n}
        assert left == {"submissions": 2}  # tombstones: ids only, so HubSpot is not re-read
        tombstones = session.scalars(select(Submission).where(Submission.partition_key.in_(keys)))
        assert [(t.payload, t.email_hash, t.status) for t in tombstones] == [
            ({}, None, "rejected")
        ] * 2
        erased_hash = address_hashes(ERASED, resources.outreach.salt)[0]
        assert suppression.is_suppressed(session, erased_hash)
        (record,) = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "erase_person", AuditEvent.subject == erased_hash
            )
        )
        assert ERASED not in json.dumps(record.details)
    # The draft preview (asset metadata, I-6's one exception) named them: gone as well.
    files = [p for p in home.rglob("*") if p.is_file() and not p.name.startswith("salesagent")]
    assert scan_files(files, ["natarajan"], VerificationReport(), "dagster home") == []


def test_the_scan_does_find_a_person_who_was_not_erased(processed):
    _, instance, _, _ = processed
    app_store = resources_from_env().app_store
    report = verify_erased(KEPT, database_url=app_store.database_url, instance=instance)
    assert not report.clean
    assert any(f.startswith("app DB leads.email") for f in report.findings)
    assert all(KEPT not in f for f in report.findings)


def test_an_erased_person_is_never_contacted_again(processed, erased):
    sandbox, instance, _, _ = processed
    assert erased.exit_code == 0, erased.output
    add_submission(sandbox.hubspot.url, {"email": ERASED, "firstname": "Priya"})
    drafts_before = len(gmail_state(sandbox.gmail.url)["drafts"])
    again = process_once(instance)
    assert [o.status for o in again.outcomes] == ["disqualified"]
    assert again.outcomes[0].reason == "recipient is on the suppression list"
    assert len(gmail_state(sandbox.gmail.url)["drafts"]) == drafts_before


def test_export_writes_what_we_hold_about_a_person(processed, tmp_path):
    target = tmp_path / "aiko.json"
    outcome = CliRunner().invoke(export, [KEPT, "--output", str(target)])
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(target.read_text())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert document["suppressed"] is False
    assert [row["email"] for row in document["records"]["leads"]] == [KEPT]
    assert {"submissions", "leads", "drafts", "send_ledger"} <= set(document["records"])
    resources = resources_from_env()
    with resources.app_store.session() as session:
        lead = session.scalar(select(Lead).where(Lead.email == KEPT))
        assert document["leads"] == [lead.partition_key]


def test_erasing_the_newest_draft_takes_it_out_of_the_asset_index(processed):
    """Dagster caches each asset's newest materialization (with the draft preview) apart from
    the run's events; erasing that lead must replace it with the next newest. The lead is
    this test's own, processed last, so that no other test's person is erased here."""
    sandbox, instance, _, home = processed
    add_submission(
        sandbox.hubspot.url, {"email": "newest@tailspin-freight.com", "firstname": "Oona"}
    )
    assert len(process_once(instance).outcomes) == 1
    newest = instance.get_latest_materialization_event(AssetKey("draft"))
    assert newest is not None and newest.dagster_event is not None
    key = newest.dagster_event.partition
    with resources_from_env().app_store.session() as session:
        lead = session.get(Lead, key)
        address, first_name = lead.email, lead.first_name.lower()
    preview = newest.dagster_event.step_materialization_data.materialization.metadata["preview"]
    assert first_name in preview.value.lower()  # the person is in the preview
    preview_text = preview.value.lower()[:60]

    outcome = CliRunner().invoke(erase, [address, "--yes"])

    assert outcome.exit_code == 0, outcome.output
    replacement = instance.get_latest_materialization_event(AssetKey("draft"))
    assert replacement is not None and replacement.dagster_event.partition != key
    files = [p for p in home.rglob("*") if p.is_file() and not p.name.startswith("salesagent")]
    # Every copy of this preview is gone: no file under DAGSTER_HOME has its text any more.
    assert scan_files(files, [preview_text], VerificationReport(), "dagster home") == []

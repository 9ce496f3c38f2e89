"""The analytics warehouse end to end: the demo's morning through the real pipeline, replies
read from the mailbox, then the `refresh_warehouse` job (export + dbt build with its tests as
asset checks) on DuckDB and on the real PostgreSQL server; the export is incremental and
carries no PII; erasing a person removes them from the warehouse.

Three dbt builds in all (DuckDB, PostgreSQL, DuckDB after the erasure): seconds each."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from dagster import DagsterInstance, SkipReason, build_sensor_context
from sqlalchemy import create_engine, text, update

from salesagent_dagster.cli.privacy_commands import erase
from salesagent_dagster.cli.report_command import report
from salesagent_dagster.code_locations import build_warehouse_definitions
from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.demo_returns import drafted_first_emails
from salesagent_dagster.local.demo_seed import DEMO_LEADS, seed_demo
from salesagent_dagster.local.one_tick import run_one_tick
from salesagent_dagster.local.sandbox_replies import put_reply
from salesagent_dagster.services.privacy.person_lookup import (
    address_hashes,
    address_spellings,
    partition_keys_of,
)
from salesagent_dagster.services.privacy.retention import apply_retention
from salesagent_dagster.services.privacy.retention_settings import retention_from_env
from salesagent_dagster.services.warehouse.erasure import erase_from_warehouse, find_in_warehouse
from salesagent_dagster.services.warehouse.export import export_to_warehouse
from salesagent_dagster.services.warehouse.location import WarehouseLocation
from salesagent_dagster.services.warehouse.report import MartsNotBuilt, read_report
from salesagent_dagster.settings import resources_from_env, warehouse_path
from salesagent_dagster.store.models import ReviewDecision, Submission, utc_now
from salesagent_dagster.store.warehouse import RAW_TABLES
from salesagent_dagster_tests.conftest import fresh_dagster_home, sandbox_env
from salesagent_dagster_tests.integration.pipeline_harness import process_once

ERASED = "priya@northwind-logistics.com"
KEPT = "aiko@brightpath.io"  # erased from the PostgreSQL warehouse only
PII_FIELDS = ("email", "firstname", "lastname", "company")
FUNNEL_STAGES = ("submitted", "qualified", "drafted", "approved", "sent", "replied", "positive")


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    """The demo's morning processed, a positive reply and a bounce read back, then the
    warehouse refreshed once on the default DuckDB file."""
    with sandbox_env() as sandbox, fresh_dagster_home(tmp_path_factory.mktemp("warehouse")):
        seed_demo(sandbox.hubspot.url, sandbox.gmail.url)
        with DagsterInstance.get() as instance:
            _listen(instance)  # first sight: the mailbox cursor starts now
            first = process_once(instance)
            resources = resources_from_env(resolve_secrets=True)
            drafted = drafted_first_emails(
                resources.app_store, [o.partition_key for o in first.outcomes]
            )
            put_reply(resources.app_store, resources.gmail, drafted[0], "positive")
            put_reply(resources.app_store, resources.gmail, drafted[1], "bounce")
            _listen(instance)
            started = time.perf_counter()
            result = _refresh(instance)
            seconds = time.perf_counter() - started
            yield sandbox, instance, result, seconds


def _listen(instance: DagsterInstance) -> None:
    run_one_tick(instance, build_definitions(), sensor_names=("mailbox_replies",))


def _refresh(instance: DagsterInstance):
    job = build_warehouse_definitions().resolve_job_def("refresh_warehouse")
    return job.execute_in_process(instance=instance, raise_on_error=False)


def _raw_values(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {
            table: connection.execute(f"SELECT * FROM main_raw.{table}").fetchall()
            for table in RAW_TABLES
        }


def _personal_texts() -> set[str]:
    return {
        lead.values[name].lower()
        for lead in DEMO_LEADS
        for name in PII_FIELDS
        if len(lead.values.get(name, "")) > 3
    }


def test_refresh_builds_the_marts_and_every_dbt_test_passes_on_duckdb(processed):
    _, _, result, seconds = processed
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 30
    assert all(check.passed for check in checks), [c.check_name for c in checks if not c.passed]
    with duckdb.connect(str(warehouse_path()), read_only=True) as connection:
        funnel = dict(connection.execute("SELECT stage, leads FROM main_marts.funnel").fetchall())
        rates = connection.execute(
            "SELECT value, sends, replies, positive_replies, bounces FROM main_marts.reply_rates "
            "WHERE dimension = 'follow_up_step' AND value = '0'"
        ).fetchall()
        speed = connection.execute("SELECT sum(leads) FROM main_marts.speed_to_lead").fetchone()
    assert funnel["submitted"] == 12  # the morning's twelve submissions
    assert funnel["sent"] == 3 and funnel["drafted"] >= funnel["approved"] >= funnel["sent"]
    assert funnel["replied"] == 1 and funnel["positive"] == 1
    assert rates == [("0", 3, 1, 1, 1)]
    assert speed == (3,)
    print(f"\nexport + dbt build on DuckDB: {seconds:.1f} s")


def test_no_raw_column_holds_an_address_a_name_or_a_company(processed):
    values = _raw_values(warehouse_path())
    assert values["leads"] and values["sends"] and values["replies"] and values["decisions"]
    cells = [str(cell).lower() for rows in values.values() for row in rows for cell in row]
    needles = _personal_texts() | {"sandbox", "@"}
    assert not [(n, c) for n in needles for c in cells if n in c]


def test_export_reads_only_what_changed_since_the_last_one(processed, tmp_path):
    location = WarehouseLocation(path=tmp_path / "incremental.duckdb")
    resources = resources_from_env(resolve_secrets=True)
    session, salt = resources.app_store.session, resources.outreach.salt
    later = datetime.now(UTC) + timedelta(hours=1)

    everything = export_to_warehouse(session, location, salt, now=later)
    nothing = export_to_warehouse(session, location, salt, now=later + timedelta(hours=1))
    key = _raw_values(location.path)["leads"][0][0]
    with session() as s:
        s.add(
            ReviewDecision(
                partition_key=key, action="reject", reviewer="dana", reason="no",
                draft_version=1, created_at=later + timedelta(hours=3),
            )
        )  # fmt: skip
    one = export_to_warehouse(session, location, salt, now=later + timedelta(hours=4))

    assert everything.since is None and everything.leads == 12
    assert nothing.leads == 0 and nothing.rows["leads"] == 0
    assert one.leads == 1 and one.rows["leads"] == 1
    decisions = [r for r in _raw_values(location.path)["decisions"] if r[1] == key]
    assert ("operator", "reject") in {(r[2], r[3]) for r in decisions}


def test_a_recorded_reply_asks_for_one_refresh(processed):
    resources = resources_from_env(resolve_secrets=True)
    sensor = build_warehouse_definitions().resolve_sensor_def("warehouse_after_replies")

    first = sensor(build_sensor_context(resources={"app_store": resources.app_store}))
    again = sensor(
        build_sensor_context(cursor=first.cursor, resources={"app_store": resources.app_store})
    )

    assert [r.job_name for r in first.run_requests] in ([None], ["refresh_warehouse"])
    assert len(first.run_requests) == 1 and first.cursor
    assert isinstance(again, SkipReason)


def test_a_raw_table_of_an_older_shape_is_rebuilt_from_the_app_db(processed, tmp_path):
    path = tmp_path / "older.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA main_raw")
        connection.execute("CREATE TABLE main_raw.leads (lead_key VARCHAR PRIMARY KEY)")
        connection.execute(
            "CREATE TABLE main_raw.export_watermark "
            "(id INTEGER PRIMARY KEY, exported_through TIMESTAMP, exported_at TIMESTAMP)"
        )
        connection.execute("INSERT INTO main_raw.export_watermark VALUES (1, now(), now())")
    resources = resources_from_env(resolve_secrets=True)

    report = export_to_warehouse(
        resources.app_store.session, WarehouseLocation(path=path), resources.outreach.salt
    )

    assert report.since is None and report.leads == 12
    assert len(_raw_values(path)["leads"]) == 12


@pytest.mark.postgres
def test_refresh_builds_the_marts_on_postgres(processed, postgres_databases, monkeypatch):
    _, instance, _, _ = processed
    url = postgres_databases()
    monkeypatch.setenv("SALESAGENT_WAREHOUSE_URL", url)

    started = time.perf_counter()
    result = _refresh(instance)
    seconds = time.perf_counter() - started

    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            funnel = dict(
                connection.execute(text("SELECT stage, leads FROM warehouse_marts.funnel")).all()
            )
            raw = connection.execute(text("SELECT count(*) FROM warehouse_raw.leads")).scalar()
    finally:
        engine.dispose()
    assert raw == 12 and funnel["submitted"] == 12 and funnel["sent"] == 3
    # Erasure and its scan reach the PostgreSQL warehouse too.
    location = WarehouseLocation(path=warehouse_path(), url=url)
    postgres_report = read_report(location)
    assert [(s.stage, s.leads) for s in postgres_report.funnel][:1] == [("submitted", 12)]
    assert sum(r.sends for r in postgres_report.rates_by_icp_bucket) == 3
    resources = resources_from_env(resolve_secrets=True)
    hashes = address_hashes(KEPT, resources.outreach.salt)
    with resources.app_store.session() as session:
        keys = partition_keys_of(session, KEPT, hashes)
    assert erase_from_warehouse(hashes, keys, location) >= len(keys)
    assert find_in_warehouse(address_spellings(KEPT), location) == []
    assert find_in_warehouse(["sub_"], location)  # the scan does look at every schema
    print(f"\nexport + dbt build on PostgreSQL: {seconds:.1f} s")


def test_report_prints_the_funnel_and_the_rates_by_icp_bucket_without_pii(processed):
    outcome = CliRunner().invoke(report, [])

    assert outcome.exit_code == 0, outcome.output
    rows = [line.split() for line in outcome.output.splitlines()]
    funnel = {row[0]: row[1:] for row in rows if row and row[0] in FUNNEL_STAGES}
    assert funnel["submitted"] == ["12", "100%"]
    assert funnel["sent"] == ["3", "25%"] and funnel["positive"] == ["1", "8%"]
    title = outcome.output.splitlines().index("Reply rates by ICP bucket (per delivered email)")
    after = rows[title + 3 :]  # after the headers and the rule, up to the next blank line
    buckets = after[: after.index([])]
    assert sum(int(row[1]) for row in buckets) == 3  # the three delivered first emails
    assert {row[0] for row in buckets} <= {"A", "B", "C", "D", "none"}
    assert "Speed to lead" in outcome.output and "Experiment arms" in outcome.output
    assert not [n for n in _personal_texts() | {"@"} if n in outcome.output.lower()]


def test_report_names_how_to_build_the_marts_when_they_are_not_built(
    processed, tmp_path, monkeypatch
):
    resources = resources_from_env(resolve_secrets=True)
    raw_only = WarehouseLocation(path=tmp_path / "raw_only.duckdb")
    export_to_warehouse(resources.app_store.session, raw_only, resources.outreach.salt)
    with pytest.raises(MartsNotBuilt):
        read_report(raw_only)
    monkeypatch.setenv("SALESAGENT_WAREHOUSE_PATH", str(tmp_path / "none.duckdb"))

    outcome = CliRunner().invoke(report, [])

    assert outcome.exit_code == 1
    assert "not built yet" in outcome.output and "refresh_warehouse" in outcome.output
    assert "make demo" in outcome.output


def test_erasure_removes_the_person_from_the_warehouse(processed):
    _, instance, _, _ = processed
    resources = resources_from_env(resolve_secrets=True)
    hashes = address_hashes(ERASED, resources.outreach.salt)
    with resources.app_store.session() as session:
        keys = partition_keys_of(session, ERASED, hashes)
    before = _raw_values(warehouse_path())
    assert {row[0] for row in before["leads"]} & set(keys)

    outcome = CliRunner().invoke(erase, [ERASED, "--yes", "--actor", "dpo@seller.example"])

    assert outcome.exit_code == 0, outcome.output
    assert "the address was found nowhere" in outcome.output
    after = _raw_values(warehouse_path())
    assert not [
        row for rows in after.values() for row in rows if set(map(str, row)) & {*keys, *hashes}
    ]
    assert len(after["leads"]) == len(before["leads"]) - len(keys)
    # The next refresh exports no trace of them (not even their suppression) and rebuilds.
    assert _refresh(instance).success
    with duckdb.connect(str(warehouse_path()), read_only=True) as connection:
        submitted = connection.execute(
            "SELECT leads FROM main_marts.funnel WHERE stage = 'submitted'"
        ).fetchone()
        hashed = connection.execute(
            "SELECT count(*) FROM main_raw.suppressions WHERE person_hash IN (?, ?)",
            [hashes[0], hashes[-1]],
        ).fetchone()
    assert submitted == (12 - len(keys),) and hashed == (0,)


def test_a_lead_aged_out_by_retention_leaves_the_raw_tables(processed):
    _, instance, _, _ = processed
    app_store = resources_from_env().app_store
    before = _raw_values(warehouse_path())
    aged = next(row[0] for row in before["leads"] if row[0] in {r[1] for r in before["sends"]})
    with app_store.session() as session:
        session.execute(
            update(Submission)
            .where(Submission.partition_key == aged)
            .values(received_at=utc_now() - timedelta(days=400))
        )

    report = apply_retention(app_store.session, instance, retention_from_env())

    assert report.expired_leads == 1 and report.counts["warehouse_raw_rows"] >= 2
    after = _raw_values(warehouse_path())
    assert not [row for rows in after.values() for row in rows if aged in map(str, row)]
    assert len(after["leads"]) == len(before["leads"]) - 1

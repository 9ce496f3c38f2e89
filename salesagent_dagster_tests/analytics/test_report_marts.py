"""The marts over a history whose figures are known (known_history.py): each send's voice
profile version and experiment arms reach the warehouse, reply_rates has them as dimensions,
variant_arms counts first emails by arm, `salesagent report --since/--png` reads and draws
them, and the mart materializations carry the same charts, on DuckDB and on PostgreSQL.

The app DB is SQLite; the export is the product's; dbt runs as the warehouse_models asset
(materialised with the product's DbtCliResource): two dbt builds in all."""

from __future__ import annotations

import struct
from datetime import timedelta
from functools import partial
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from dagster import AssetKey, materialize
from sqlalchemy import create_engine, text

from salesagent_dagster.cli.report_command import report
from salesagent_dagster.defs.analytics.partial_parse import kept_partial_parse
from salesagent_dagster.defs.analytics.warehouse_models import (
    dbt_project,
    dbt_resource,
    warehouse_models_for,
)
from salesagent_dagster.services.warehouse.charts import CHART_MARTS, render_charts
from salesagent_dagster.services.warehouse.export import export_to_warehouse
from salesagent_dagster.services.warehouse.location import WarehouseLocation
from salesagent_dagster.services.warehouse.lock import warehouse_writer
from salesagent_dagster.services.warehouse.report import read_report, wilson_interval
from salesagent_dagster.settings import environment_overridden
from salesagent_dagster.store.database import dispose_engine, migrate, session_scope
from salesagent_dagster_tests.analytics.known_history import SALT, write_known_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VARIANT_ARMS = [
    # experiment, arm, sends, positive, negative, unsubscribes, bounces: first emails only
    ("opener", "question", 1, 1, 0, 0, 0),
    ("subject_line", "long", 1, 0, 1, 0, 0),
    ("subject_line", "short", 2, 1, 0, 0, 0),  # L3's unsubscribe answered its follow-up
]


def _build(tmp_path: Path, url: str = "") -> tuple[WarehouseLocation, object]:
    """The known history exported and dbt-built; the location and the dbt step's result."""
    app_db = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(app_db)
    with session_scope(app_db) as session:
        write_known_history(session)
    location = WarehouseLocation(path=tmp_path / "warehouse.duckdb", url=url)
    env = {"SALESAGENT_WAREHOUSE_PATH": str(location.path), "SALESAGENT_WAREHOUSE_URL": url}
    try:
        with environment_overridden(env):
            with warehouse_writer(location):
                export_to_warehouse(partial(session_scope, app_db), location, SALT)
            project = dbt_project()
            result = materialize(
                [warehouse_models_for(project)],
                resources={"dbt": dbt_resource(project, location)},
                raise_on_error=False,
            )
    finally:
        dispose_engine(app_db)
    return location, result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("known")
    location, result = _build(tmp)
    with environment_overridden(
        {"SALESAGENT_WAREHOUSE_PATH": str(location.path), "SALESAGENT_WAREHOUSE_URL": ""}
    ):
        yield location, result


def _query(location: WarehouseLocation, sql: str) -> list[tuple]:
    with duckdb.connect(str(location.path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _rates(location: WarehouseLocation, dimension: str) -> dict[str, tuple]:
    rows = _query(
        location,
        "SELECT value, sends, positive_replies, negative_replies, unsubscribes, bounces "
        f"FROM main_marts.reply_rates WHERE dimension = '{dimension}'",
    )
    return {row[0]: row[1:] for row in rows}


def test_every_dbt_test_passes_including_the_new_ones(built):
    _, result = built
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert all(checks.values()), [name for name, passed in checks.items() if not passed]
    names = " ".join(checks)
    assert "stg_send_variants" in names and "variant_arms" in names
    assert "relationships_stg_send_variants_send_key" in names


def test_each_send_carries_its_draft_versions_voice_version_and_arms(built):
    location, _ = built
    sends = dict(_query(location, "SELECT send_key, voice_version FROM main_raw.sends"))
    arms = _query(
        location, "SELECT send_key, experiment, arm FROM main_raw.send_variants ORDER BY 1, 2"
    )
    assert sends == {"L1:0": 2, "L2:0": 2, "L3:0": 1, "L3:1": 1, "L4:0": 0}
    assert arms == [
        ("L1:0", "opener", "question"), ("L1:0", "subject_line", "short"),
        ("L2:0", "subject_line", "long"), ("L3:0", "subject_line", "short"),
        ("L3:1", "subject_line", "short"),
    ]  # fmt: skip


def test_reply_rates_by_variant_and_by_voice_profile(built):
    location, _ = built
    variant = _rates(location, "variant")
    voice = _rates(location, "voice_profile")
    # every delivered email, follow-ups included: L3's follow-up is short's third send
    assert variant == {
        "subject_line:short": (3, 1, 0, 1, 0), "opener:question": (1, 1, 0, 0, 0),
        "subject_line:long": (1, 0, 1, 0, 0), "none": (1, 0, 0, 0, 1),
    }  # fmt: skip
    by_version = {value.split(":v")[1]: (value, figures[0]) for value, figures in voice.items()}
    assert {v: n for v, (_, n) in by_version.items()} == {"2": 2, "1": 2, "0": 1}
    assert by_version["2"][0].split(":v")[0] == by_version["1"][0].split(":v")[0]  # one mailbox
    assert "@" not in " ".join(voice)  # a hashed mailbox, never its address


def test_variant_arms_counts_first_emails_by_arm_with_its_contract_types(built):
    location, _ = built
    rows = _query(location, "SELECT * FROM main_marts.variant_arms ORDER BY experiment, arm")
    types = _query(
        location,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main_marts' AND table_name = 'variant_arms' "
        "ORDER BY ordinal_position",
    )
    assert rows == VARIANT_ARMS
    assert types == [
        ("experiment", "VARCHAR"), ("arm", "VARCHAR"), ("sends", "INTEGER"),
        ("positive_replies", "INTEGER"), ("negative_replies", "INTEGER"),
        ("unsubscribes", "INTEGER"), ("bounces", "INTEGER"),
    ]  # fmt: skip


def test_since_counts_only_the_leads_submitted_in_the_window(built):
    location, _ = built
    everything = read_report(location)
    window = read_report(location, since=timedelta(days=30))
    wide = read_report(location, since=timedelta(days=3650))

    funnel = {s.stage: s.leads for s in window.funnel}
    assert {s.stage: s.leads for s in everything.funnel}["submitted"] == 5
    assert funnel["submitted"] == 4 and funnel["sent"] == 3  # L3 is 60 days old
    assert sum(r.sends for r in window.rates_by_icp_bucket) == 3
    assert "B" not in {r.icp_bucket for r in window.rates_by_icp_bucket}
    short = next(a for a in window.variant_arms if a.variant == "subject_line:short")
    assert short.sends == 1
    assert {b.bucket: b.leads for b in window.speed_to_lead}["30-60 s"] == 0
    assert window.p95_seconds is not None and window.p95_seconds < 400
    # A window wider than the history is the marts as dbt built them.
    assert (wide.funnel, wide.rates_by_icp_bucket, wide.speed_to_lead, wide.variant_arms) == (
        everything.funnel, everything.rates_by_icp_bucket, everything.speed_to_lead,
        everything.variant_arms,
    )  # fmt: skip
    assert (wide.p50_seconds, wide.p95_seconds) == (everything.p50_seconds, everything.p95_seconds)


def test_report_since_and_png_write_the_four_charts(built, tmp_path):
    outcome = CliRunner().invoke(report, ["--since", "30d", "--png", str(tmp_path / "charts")])

    assert outcome.exit_code == 0, outcome.output
    assert "leads submitted since" in outcome.output
    assert "subject_line" in outcome.output and "95% interval" in outcome.output
    pngs = sorted((tmp_path / "charts").glob("*.png"))
    assert [p.stem for p in pngs] == sorted(CHART_MARTS)
    for path in pngs:
        data = path.read_bytes()
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
        assert (width, height) == (540, 306) and 8_000 < len(data) < 80_000, path.name
        print(f"\n{path.name}: {len(data) / 1000:.1f} KB")


def test_report_refuses_a_window_it_cannot_read():
    outcome = CliRunner().invoke(report, ["--since", "thirty"])

    assert outcome.exit_code == 2 and "30d" in outcome.output


def test_the_mart_materializations_carry_the_charts_as_markdown_images(built):
    _, result = built
    materializations = {
        event.asset_key: event.metadata
        for event in result.asset_materializations_for_node("warehouse_models")
    }
    for chart, mart in CHART_MARTS.items():
        metadata = materializations[AssetKey(["warehouse", "marts", mart])]
        markdown = metadata[f"chart_{chart}"].value
        assert markdown.startswith(f"![{chart.replace('_', ' ')}](data:image/png;base64,")
        assert 10_000 < len(markdown) < 110_000
    untouched = materializations[AssetKey(["warehouse", "marts", "lead_outcomes"])]
    assert not [key for key in untouched if key.startswith("chart_")]


def test_wilson_interval_matches_the_textbook_figures():
    low, high = wilson_interval(1, 10)
    assert round(low, 4) == 0.0179 and round(high, 4) == 0.4042
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(50, 100)
    assert round(low, 3) == 0.404 and round(high, 3) == 0.596


def test_charts_draw_an_empty_warehouse_without_failing(built):
    location, _ = built
    empty = read_report(location, since=timedelta(hours=1))

    charts = render_charts(empty)

    assert set(charts) == set(CHART_MARTS) and all(
        c.startswith(PNG_SIGNATURE) for c in charts.values()
    )


@pytest.mark.postgres
def test_the_new_columns_dimensions_and_variant_arms_on_postgres(postgres_databases, tmp_path):
    url = postgres_databases()
    location, result = _build(tmp_path, url)

    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    full = read_report(location)
    window = read_report(location, since=timedelta(days=30))
    arms = [
        (a.experiment, a.arm, a.sends, a.positive_replies, a.negative_replies, a.unsubscribes,
         a.bounces)
        for a in full.variant_arms
    ]  # fmt: skip
    assert arms == VARIANT_ARMS
    assert {s.stage: s.leads for s in window.funnel}["submitted"] == 4
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            dims = connection.execute(
                text(
                    "SELECT dimension, value, sends FROM warehouse_marts.reply_rates "
                    "WHERE dimension IN ('variant', 'voice_profile')"
                )
            ).all()
            types = (
                connection.execute(
                    text(
                        "SELECT data_type FROM information_schema.columns WHERE table_schema = "
                        "'warehouse_marts' AND table_name = 'variant_arms' ORDER BY ordinal_position"
                    )
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    variant = {value: sends for dimension, value, sends in dims if dimension == "variant"}
    assert variant == {
        "subject_line:short": 3, "opener:question": 1, "subject_line:long": 1, "none": 1,
    }  # fmt: skip
    assert sorted(s for d, _, s in dims if d == "voice_profile") == [1, 2, 2]
    assert types == ["character varying"] * 2 + ["integer"] * 5


def test_report_scores_the_policy_s_experiments_on_the_marts(built, tmp_path):
    policy = tmp_path / "experiments.toml"
    policy.write_text(
        '[[experiments]]\nname = "subject_line"\nenabled = true\n'
        '[[experiments.arms]]\nname = "long"\n'
        '[[experiments.arms]]\nname = "short"\nsubject = "Your demo$about"\n'
    )
    app_db = f"sqlite:///{tmp_path / 'stops.db'}"
    migrate(app_db)
    env = {"SALESAGENT_EXPERIMENTS_FILE": str(policy), "SALESAGENT_DATABASE_URL": app_db}
    try:
        with environment_overridden(env):
            outcome = CliRunner().invoke(report, [])
    finally:
        dispose_engine(app_db)

    assert outcome.exit_code == 0, outcome.output
    verdicts = outcome.output.split("Experiment subject_line (positive replies)", 1)[1]
    rows = {line.split()[0]: line.split() for line in verdicts.splitlines()[3:5]}
    assert (rows["long"][1], rows["short"][1]) == ("1", "2")  # first emails, from variant_arms
    assert "every arm needs" in verdicts  # far below the minimum sample: no winner named


def test_the_next_build_reuses_the_last_build_s_parse(built, capfd):
    location, _ = built
    assert kept_partial_parse(location).exists()  # left by the module's build
    capfd.readouterr()
    project = dbt_project()
    result = materialize(
        [warehouse_models_for(project)],
        resources={"dbt": dbt_resource(project, location)},
        raise_on_error=False,
    )
    assert result.success
    # dbt says this when it must parse the whole project again (it echoes to stdout).
    assert "Unable to do partial parsing" not in capfd.readouterr().out

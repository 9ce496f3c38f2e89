"""The app factory's surfaces and the health route, served for real."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from salesagent_dagster.cli import main
from salesagent_dagster_tests.edge.conftest import edge_context
from salesagent_dagster_tests.edge.edge_server import call, serving


def test_healthz_answers_while_the_app_db_does(database_url: str, hubspot_emulator):
    with serving(lambda url: edge_context(database_url, hubspot_emulator.url, url)) as (url, _):
        answer = call("GET", f"{url}/healthz")
    assert answer.status == 200
    assert json.loads(answer.body) == {"status": "ok", "app_db": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_app_db_is_missing_or_unreachable(tmp_path: Path, hubspot_emulator):
    for database_url, why in (
        (f"sqlite:///{tmp_path / 'never-migrated.db'}", "not migrated"),
        ("postgresql+psycopg2://nobody@127.0.0.1:9/salesagent", "unreachable"),
    ):
        context = lambda url, db=database_url: edge_context(db, hubspot_emulator.url, url)  # noqa: E731
        with serving(context) as (url, _):
            answer = call("GET", f"{url}/healthz")
        assert answer.status == 503
        assert json.loads(answer.body) == {"status": "unavailable", "app_db": why}


def test_the_internal_surface_serves_no_public_route(database_url: str, hubspot_emulator):
    make = lambda url: edge_context(database_url, hubspot_emulator.url, url)  # noqa: E731
    with serving(make, "internal") as (url, context):
        assert call("GET", context.outreach.unsubscribe_link("sub_1")).status == 404
        assert call("GET", f"{url}/healthz").status == 200
    with serving(make, "all") as (url, context):
        assert call("GET", context.outreach.unsubscribe_link("sub_1")).status == 200


def test_a_metrics_port_is_only_for_the_public_surface():
    """The operators' surfaces serve /metrics themselves; a second port there would only
    duplicate it."""
    refused = CliRunner().invoke(main, ["serve", "--surface", "internal", "--metrics-port", "9464"])
    assert refused.exit_code == 2
    assert "--metrics-port is for the public surface" in refused.output

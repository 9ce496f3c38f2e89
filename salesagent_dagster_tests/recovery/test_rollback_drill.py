"""Rolling back a deploy, drilled: the app DB at this release's head goes back to the previous
release's migration with `salesagent db downgrade`, keeps the rows of the tables both know,
and comes forward again with `db upgrade`; what cannot go down is refused. SQLite and the real
PostgreSQL server. The time printed is the schema half of the rollback's RTO."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from salesagent_dagster.cli import main
from salesagent_dagster.store.database import (
    code_revisions,
    database_revision,
    dispose_engine,
    get_engine,
    migrate,
)
from salesagent_dagster.store.schema_downgrade import DowngradeRefused, downgrade_steps
from salesagent_dagster_tests.backup.test_restore_drill import _counts, _populate


def _tables(url: str) -> set[str]:
    dispose_engine(url)
    with get_engine(url).connect() as connection:
        return set(inspect(connection).get_table_names())


def _drill(url: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", url)
    *_, previous, head = code_revisions()
    _populate(url)  # at head, with rows in tables every release has
    at_head = _tables(url)
    runner = CliRunner()

    started = time.monotonic()
    down = runner.invoke(main, ["db", "downgrade", previous, "--yes"])
    seconds = time.monotonic() - started

    assert down.exit_code == 0, down.output
    assert database_revision(url) == previous
    assert _counts(url) == (200, 1)
    fresh = f"sqlite:///{tmp_path / 'previous.db'}"
    migrate(fresh, previous)
    assert _tables(url) == _tables(fresh)  # the previous release's schema, exactly
    assert _tables(url) < at_head

    up = runner.invoke(main, ["db", "upgrade"])
    assert up.exit_code == 0, up.output
    assert database_revision(url) == head and _tables(url) == at_head
    print(f"\n{down.output.strip()}\ndowngrade {head} -> {previous}: {seconds:.2f} s")


def test_sqlite_rollback_drill(tmp_path, monkeypatch):
    _drill(f"sqlite:///{tmp_path / 'app.db'}", tmp_path, monkeypatch)


@pytest.mark.postgres
def test_postgres_rollback_drill(postgres_databases, tmp_path, monkeypatch):
    _drill(postgres_databases(), tmp_path, monkeypatch)


def test_downgrades_that_cannot_be_done_are_refused(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", url)
    migrate(url)
    *_, previous, head = code_revisions()
    runner = CliRunner()
    for target, why in [
        ("base", "unknown revision"),
        (head, "not newer than"),
        ("9999", "unknown revision"),
    ]:
        refused = runner.invoke(main, ["db", "downgrade", target, "--yes"])
        assert refused.exit_code != 0 and why in refused.output, refused.output
    assert database_revision(url) == head
    with pytest.raises(DowngradeRefused, match="cannot downgrade"):
        downgrade_steps(None, previous)

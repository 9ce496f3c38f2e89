"""Restore drills: back up a populated app DB, lose data, restore, and find it all back,
on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import stat
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from salesagent_dagster.cli.backup_commands import backup, restore
from salesagent_dagster.store import audit, suppression
from salesagent_dagster.store.database import migrate, session_scope
from salesagent_dagster.store.models import AuditEvent, Suppression


def _populate(url: str) -> None:
    migrate(url)
    with session_scope(url) as session:
        for n in range(200):
            suppression.suppress(session, f"{n:064x}", "manual")
        audit.record(session, actor="drill", action="backup_drill", subject=None)


def _counts(url: str) -> tuple[int, int]:
    with session_scope(url) as session:
        return (
            session.scalar(select(func.count()).select_from(Suppression)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def _lose_everything(url: str) -> None:
    with session_scope(url) as session:
        session.query(Suppression).delete()
        session.query(AuditEvent).delete()


def _drill(url: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", url)
    _populate(url)
    target = tmp_path / "backups" / "app.dump"
    runner = CliRunner()

    backed_up = runner.invoke(backup, [str(target)])
    assert backed_up.exit_code == 0, backed_up.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    _lose_everything(url)
    assert _counts(url) == (0, 0)

    restored = runner.invoke(restore, [str(target), "--yes"])

    assert restored.exit_code == 0, restored.output
    assert _counts(url) == (200, 1)
    print(f"\n{backed_up.output.strip()}\n{restored.output.strip()}")


def test_sqlite_restore_drill(tmp_path, monkeypatch):
    _drill(f"sqlite:///{tmp_path / 'app.db'}", tmp_path, monkeypatch)


@pytest.mark.postgres
def test_postgres_restore_drill(postgres_databases, tmp_path, monkeypatch):
    _drill(postgres_databases(), tmp_path, monkeypatch)


def test_restore_of_a_missing_file_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    outcome = CliRunner().invoke(restore, [str(tmp_path / "nope.dump"), "--yes"])
    assert outcome.exit_code != 0
    assert "no backup file at" in outcome.output


def _archive_drill(url: str, tmp_path, monkeypatch) -> None:
    """Data lost: the newest archived backup (taken as the schedule takes it) restored with
    the runbook's two commands; the times printed are the drill's RTO figures."""
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", url)
    monkeypatch.setenv("SALESAGENT_BACKUP_DIR", str(tmp_path / "archive"))
    monkeypatch.delenv("DAGSTER_COMPUTE_LOGS_BUCKET", raising=False)
    _populate(url)
    runner = CliRunner()
    archived = runner.invoke(backup, ["--archive"])
    assert archived.exit_code == 0, archived.output
    _lose_everything(url)

    started = time.monotonic()
    restored = runner.invoke(restore, ["--latest", "--yes"])
    seconds = time.monotonic() - started

    assert restored.exit_code == 0, restored.output
    assert _counts(url) == (200, 1)
    print(f"\n{archived.output.strip()}\n{restored.output.strip()}\nrestore drill: {seconds:.2f} s")


def test_sqlite_restore_from_the_archive_drill(tmp_path, monkeypatch):
    _archive_drill(f"sqlite:///{tmp_path / 'app.db'}", tmp_path, monkeypatch)


@pytest.mark.postgres
def test_postgres_restore_from_the_archive_drill(postgres_databases, tmp_path, monkeypatch):
    _archive_drill(postgres_databases(), tmp_path, monkeypatch)


def test_restore_latest_from_an_empty_archive_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("SALESAGENT_BACKUP_DIR", str(tmp_path / "archive"))
    monkeypatch.delenv("DAGSTER_COMPUTE_LOGS_BUCKET", raising=False)
    outcome = CliRunner().invoke(restore, ["--latest", "--yes"])
    assert outcome.exit_code != 0 and "no backup in" in outcome.output

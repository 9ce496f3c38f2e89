"""The `backup_app_db` schedule's job: the app DB backed up, restored into a scratch database
and counted, archived (a directory on the embedded default, S3 in production: moto's real
server here) and the old backups pruned. On SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.defs.backups.backup_job import back_up_app_db_job
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.services.app_db_backups import (
    archive_from_settings,
    back_up_app_db,
    latest_backup,
)
from salesagent_dagster.store.backup import BackupError, restore_database, verify_backup
from salesagent_dagster.store.backup_archive import DirectoryArchive, S3Archive, backup_name
from salesagent_dagster.store.models import utc_now
from salesagent_dagster_tests.backup.test_restore_drill import _counts, _populate
from salesagent_dagster_tests.deployment.conftest import s3_endpoint  # noqa: F401 (fixture)


def _run_job(url: str) -> dict[str, object]:
    result = back_up_app_db_job.execute_in_process(
        resources={"app_store": AppStoreResource(database_url=url)}
    )
    assert result.success
    (materialization,) = [
        event for event in result.all_node_events if event.event_type_value == "STEP_OUTPUT"
    ]
    return {k: v.value for k, v in materialization.step_output_data.metadata.items()}


def test_the_schedule_is_daily_and_runs_the_backup_job():
    schedule = build_definitions().get_schedule_def("backup_app_db")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.job_name == "back_up_app_db"


def test_sqlite_backup_is_verified_and_archived_in_the_directory(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("SALESAGENT_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.delenv("DAGSTER_COMPUTE_LOGS_BUCKET", raising=False)
    _populate(url)

    metadata = _run_job(url)

    (archived,) = sorted((tmp_path / "backups").iterdir())
    assert stat.S_IMODE(archived.stat().st_mode) == 0o600
    assert metadata["backup"] == archived.name and metadata["rows_total"] >= 201
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    restore_database(restored, archived)
    assert _counts(restored) == (200, 1)
    print(f"\nsqlite: {metadata}")


@pytest.mark.postgres
def test_postgres_backup_goes_to_s3_verified_and_restores(
    postgres_databases,
    s3_endpoint,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    for name, value in {
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "moto-test-key",
        "AWS_SECRET_ACCESS_KEY": "moto-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DAGSTER_COMPUTE_LOGS_BUCKET": "compute-logs",  # the same settings as compute logs
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3").create_bucket(Bucket="compute-logs")
    url = postgres_databases()
    _populate(url)

    metadata = _run_job(url)

    archive = archive_from_settings()
    assert isinstance(archive, S3Archive) and archive.where == "s3://compute-logs/app-db-backups"
    latest = latest_backup(archive)
    assert latest is not None and latest.name == metadata["backup"]
    head = boto3.client("s3").head_object(
        Bucket="compute-logs", Key=f"app-db-backups/{latest.name}"
    )
    assert head["ServerSideEncryption"] == "AES256"
    elsewhere = postgres_databases()
    restore_database(elsewhere, archive.fetch(latest.name, tmp_path / latest.name))
    assert _counts(elsewhere) == (200, 1)
    print(f"\npostgres -> s3: {metadata}")


def test_backups_older_than_the_window_are_pruned_but_never_the_last(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    _populate(url)
    archive = DirectoryArchive(tmp_path / "backups")
    now = utc_now()
    for days in (1, 6, 8, 30):
        (tmp_path / "old").write_bytes(b"an older backup")
        archive.put(tmp_path / "old", backup_name(now - timedelta(days=days), postgres=False))

    report = back_up_app_db(url, archive, keep_days=7, now=now)

    assert len(report.pruned) == 2
    assert [b.taken_at.date() for b in archive.backups()] == [
        (now - timedelta(days=d)).date() for d in (6, 1, 0)
    ]
    # A year later, with every backup old, the one just taken stays.
    later = now + timedelta(days=365)
    report = back_up_app_db(url, archive, keep_days=7, now=later)
    assert [b.name for b in archive.backups()] == [report.name]


def test_a_backup_that_does_not_restore_fails_and_is_not_archived(tmp_path):
    garbage = tmp_path / "app-db-garbage.sqlite"
    garbage.write_bytes(b"not a database " * 100)
    with pytest.raises(BackupError, match="does not restore"):
        verify_backup(f"sqlite:///{tmp_path / 'app.db'}", garbage)
    assert not Path(tmp_path / "backups").exists()

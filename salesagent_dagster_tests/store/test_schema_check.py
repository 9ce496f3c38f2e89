"""Run workers check the app DB's migration instead of migrating: a database behind the code
fails the first session with the fix named and is left as it was; `salesagent db upgrade`
(the deploy's step) is what moves it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from dagster import DagsterInstance, DynamicPartitionsDefinition
from sqlalchemy import event, text

from salesagent_dagster.cli import main
from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.store.database import (
    MIGRATIONS_DIR,
    SchemaNotAtHead,
    code_revisions,
    database_revision,
    dispose_engine,
    get_engine,
    migrate,
    session_scope,
)


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        # Trust auth ignores the password; it is here to show it never reaches a message.
        url = request.getfixturevalue("postgres_databases")()
        url = url.replace("postgres@", "postgres:hunter2-secret@")
    yield url
    dispose_engine(url)


def open_first_session(url: str) -> None:
    """What a run worker's first step does before anything else."""
    with AppStoreResource(database_url=url).session():
        pass


def test_version_files_are_named_after_one_linear_chain_of_alembic_revisions():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    scripts = ScriptDirectory.from_config(config)
    chain = [script.revision for script in scripts.walk_revisions()][::-1]
    assert scripts.get_heads() == [code_revisions()[-1]]
    assert chain == code_revisions()
    for script in scripts.walk_revisions():
        assert script.path is not None
        assert Path(script.path).name.startswith(f"{script.revision}_")


def test_a_worker_on_a_db_behind_the_code_fails_with_the_fix_and_migrates_nothing(
    fresh_url, monkeypatch
):
    behind = code_revisions()[-2]
    migrate(fresh_url, behind)
    dispose_engine(fresh_url)  # a new process: nothing remembered

    with pytest.raises(SchemaNotAtHead) as raised:
        open_first_session(fresh_url)

    message = str(raised.value)
    assert f"at migration {behind}; this code needs {code_revisions()[-1]}" in message
    assert "run `salesagent db upgrade`" in message
    assert "hunter2" not in message
    assert database_revision(fresh_url) == behind

    monkeypatch.setenv("SALESAGENT_DATABASE_URL", fresh_url)
    upgraded = CliRunner().invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    dispose_engine(fresh_url)
    with AppStoreResource(database_url=fresh_url).session() as session:
        assert session.execute(text("SELECT count(*) FROM leads")).scalar() == 0


def test_a_db_never_migrated_fails_and_an_sqlite_file_is_not_created(tmp_path):
    path = tmp_path / "missing" / "app.db"

    with pytest.raises(SchemaNotAtHead, match=r"has no migrations applied.*db upgrade"):
        open_first_session(f"sqlite:///{path}")

    assert not path.exists()


def test_an_empty_database_is_reported_as_never_migrated(fresh_url):
    with pytest.raises(SchemaNotAtHead, match=r"has no migrations applied.*db upgrade"):
        open_first_session(fresh_url)
    assert database_revision(fresh_url) is None


def test_a_db_newer_than_the_code_names_the_release_not_an_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    with session_scope(url) as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    dispose_engine(url)

    with pytest.raises(SchemaNotAtHead, match=r"at migration 9999, newer than this code"):
        open_first_session(url)


def test_the_schema_is_read_once_per_process_not_per_session(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    dispose_engine(url)
    statements: list[str] = []
    event.listen(get_engine(url), "before_cursor_execute", lambda *a: statements.append(a[2]))
    store = AppStoreResource(database_url=url)

    for _ in range(3):
        with store.session() as session:
            session.execute(text("SELECT 1"))

    version_reads = [s for s in statements if re.search(r"\balembic_version\b", s)]
    assert len(version_reads) == 1
    assert statements.count("SELECT 1") == 3


def test_a_run_on_a_db_behind_the_code_fails_its_first_step_naming_the_fix(
    sandbox, dagster_home, tmp_path, monkeypatch
):
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    migrate(url, code_revisions()[-2])
    dispose_engine(url)
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", url)
    job = build_definitions().resolve_job_def("process_lead")
    partitions = job.partitions_def
    assert isinstance(partitions, DynamicPartitionsDefinition)

    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(partitions.name, ["sub-behind"])
        result = job.execute_in_process(
            instance=instance, partition_key="sub-behind", raise_on_error=False
        )

    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "lead"
    error = failure.step_failure_data.error
    assert error is not None and error.cause is not None
    assert error.cause.cls_name == "SchemaNotAtHead"
    assert "run `salesagent db upgrade`" in error.cause.message
    assert database_revision(url) == code_revisions()[-2]

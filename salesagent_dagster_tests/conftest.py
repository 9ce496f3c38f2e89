"""Shared fixtures: emulators on free ports, a throwaway Dagster home, and app DBs on
SQLite and on the real PostgreSQL server (127.0.0.1:5432, user postgres, trust auth)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

POSTGRES_ADMIN_URL = os.environ.get(
    "SALESAGENT_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Both emulators, and the process env pointing at them (as the CLI would set it)."""
    from salesagent_dagster.local.sandbox_stack import running_sandbox

    with running_sandbox() as stack:
        for name, value in stack.env.items():
            monkeypatch.setenv(name, value)
        yield stack


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from salesagent_dagster.local.instance import prepare_dagster_home

    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("SALESAGENT_DATABASE_URL", raising=False)
    return prepare_dagster_home()


@pytest.fixture
def postgres_databases() -> Iterator[Callable[[], str]]:
    """Make fresh databases on the PostgreSQL server; all are dropped afterwards. Skips
    when no server is reachable, except under CI, where that is a failure."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make() -> str:
        name = f"salesagent_test_{secrets.token_hex(4)}"
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except OperationalError as exc:
            if os.environ.get("CI"):
                raise
            pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}")
        created.append(name)
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    try:
        yield make
    finally:
        from salesagent_dagster.store.database import dispose_engine

        for name in created:
            dispose_engine(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

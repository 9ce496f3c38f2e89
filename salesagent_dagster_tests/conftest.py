"""Shared fixtures: emulators on free ports, a throwaway Dagster home, and app DBs on
SQLite and on the real PostgreSQL server (127.0.0.1:5432, user postgres, trust auth)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from salesagent_dagster.local.instance import prepare_dagster_home
from salesagent_dagster.local.sandbox_stack import SandboxStack, running_sandbox
from salesagent_dagster.store.database import migrate

POSTGRES_ADMIN_URL = os.environ.get(
    "SALESAGENT_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def sandbox_env() -> Iterator[SandboxStack]:
    """Both emulators, and the process env pointing at them (as the CLI would set it)."""
    with running_sandbox() as stack, pytest.MonkeyPatch.context() as patch:
        for name, value in stack.env.items():
            patch.setenv(name, value)
        # The emulator's search shows a message the moment it is stored, unlike Gmail's
        # index: no settle wait before believing "not found" (tests of the wait set it).
        patch.setenv("SALESAGENT_RECONCILE_SETTLE_SECONDS", "0")
        yield stack


@contextmanager
def fresh_dagster_home(root: Path) -> Iterator[Path]:
    """An empty DAGSTER_HOME with the repo's dagster.yaml; the app DB on SQLite inside it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        patch.delenv("SALESAGENT_DATABASE_URL", raising=False)
        yield prepare_dagster_home()


@pytest.fixture
def sandbox() -> Iterator[SandboxStack]:
    with sandbox_env() as stack:
        yield stack


@pytest.fixture
def dagster_home(tmp_path: Path) -> Iterator[Path]:
    with fresh_dagster_home(tmp_path) as home:
        yield home


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


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty app DB at the latest migration, once on SQLite and once on the real Postgres."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        url = request.getfixturevalue("postgres_databases")()
    migrate(url)
    return url

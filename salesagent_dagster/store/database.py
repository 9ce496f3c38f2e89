"""Engines, sessions and schema migrations for the app DB.

SQLite (the embedded default) is shared by the sensor, every run worker and the CLI at
once, so it runs in WAL mode with a busy timeout; Postgres needs nothing special.

Who migrates: the deploy (`salesagent db upgrade`, the compose `migrate` service) and the
commands that start the product on one machine (`salesagent process`, `ui`, `demo`, and
anything that prepares an embedded DAGSTER_HOME). Everything else, run workers first, only
checks the schema (`require_schema_at_head`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
UPGRADE_FIX = "run `salesagent db upgrade`"

_engines: dict[str, Engine] = {}
_at_head: set[str] = set()  # URLs this process has migrated or found at head
_lock = threading.Lock()


class SchemaNotAtHead(RuntimeError):
    """The app DB's schema is not the one this code was written for; the message names the
    database (no password), both revisions and the fix."""


def normalise_database_url(url: str) -> str:
    """dagster-postgres and SQLAlchemy 2.0 want psycopg2; accept the common spellings."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def get_engine(url: str) -> Engine:
    """One engine (and pool) per URL per process."""
    url = normalise_database_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
        return engine


def dispose_engine(url: str) -> None:
    """Close the pool for `url` (tests dropping a database, processes shutting down)."""
    url = normalise_database_url(url)
    with _lock:
        engine = _engines.pop(url, None)
        _at_head.discard(url)
    if engine is not None:
        engine.dispose()


def _create_engine(url: str) -> Engine:
    """`hide_parameters`: a failed statement's error (which Dagster keeps as the run's or the
    tick's error) names the SQL, never the values bound to it: addresses, subjects, bodies
    (DESIGN I-6)."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrate(url: str, revision: str = "head") -> None:
    """Apply Alembic migrations up to `revision` (idempotent)."""
    # Imported here: only the processes that migrate pay for loading Alembic.
    from alembic import command
    from alembic.config import Config

    url = normalise_database_url(url)
    engine = get_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    with _lock:
        if revision == "head":
            _at_head.add(url)
        else:
            _at_head.discard(url)


def code_revisions() -> list[str]:
    """Every migration this code ships, oldest first. Revision ids are the version files'
    four-digit prefixes in one linear chain (a store test holds Alembic to that), so a
    directory listing gives them without loading Alembic or a single script."""
    return sorted(
        path.name.split("_", 1)[0]
        for path in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    )


def database_revision(url: str) -> str | None:
    """The migration the app DB is at (`alembic_version`), or None when it has none yet.
    Reads, never writes: an SQLite file that does not exist is not created."""
    url = normalise_database_url(url)
    if url.startswith("sqlite:///"):
        database = url.split("///", 1)[1]
        if database and database != ":memory:" and not Path(database).exists():
            return None
    with get_engine(url).connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            # Reflection only on this rare path: asking first costs ~9 ms per Postgres
            # worker. Any failure but a missing table (a lost connection) is raised as is.
            connection.rollback()
            if inspect(connection).has_table("alembic_version"):
                raise
            return None


def require_schema_at_head(url: str) -> None:
    """Check, once per process and database, that the app DB is at this code's newest
    migration; raise `SchemaNotAtHead` naming the fix when it is not.

    Run workers call this (through `AppStoreResource.session`) instead of migrating. A run
    worker starts for every run, so a migration there would be paid on every run (Alembic
    loads its environment and every version script, then reads the version: a worker's first
    session took ~20 ms on SQLite and ~44 ms on Postgres that way, ~6 ms and ~21 ms with this
    check, medians of 30 fresh processes on 2 cores), would run from many workers at once,
    and would run from whatever image a worker has: the first run of a new image would
    change the production schema under the workers of the old one. Migrating is the deploy's
    step, and the one-machine start commands'. Checking nothing at all would save the one
    query (~1 ms on SQLite, ~4 ms on Postgres), but a worker behind the schema would then
    fail inside some step ("no such column"), or write rows the old schema happens to
    accept. One `SELECT version_num` per process (no Alembic import, the head taken from the
    version files' names) makes it fail at its first session, before any step has done
    anything, with the fix named. The answer is kept for the process's life: a deploy that
    migrates also restarts the long-lived processes (code server, daemon) with its code.
    """
    url = normalise_database_url(url)
    if url in _at_head:
        return
    revisions = code_revisions()
    head = revisions[-1]
    current = database_revision(url)
    if current != head:
        where = make_url(url).render_as_string(hide_password=True)
        if current is None:
            problem = f"the app DB {where} has no migrations applied; this code needs {head}"
        elif current in revisions:
            problem = f"the app DB {where} is at migration {current}; this code needs {head}"
        else:
            raise SchemaNotAtHead(
                f"the app DB {where} is at migration {current}, newer than this code knows "
                f"(up to {head}): run the release that migrated it"
            )
        raise SchemaNotAtHead(f"{problem}: {UPGRADE_FIX} (the deploy's migrate step)")
    with _lock:
        _at_head.add(url)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on any exception."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

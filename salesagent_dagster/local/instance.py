"""The embedded Dagster instance: DAGSTER_HOME with the repo's dagster.yaml, and the app DB
at the code's migration for the commands that start the product on this machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from salesagent_dagster.settings import app_db_is_embedded, dagster_home, database_url
from salesagent_dagster.store.database import migrate

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTANCE_CONFIG = REPO_ROOT / "dagster.yaml"


def prepare_dagster_home() -> Path:
    """Create DAGSTER_HOME (default ./.dagster_home) and give it the repo's dagster.yaml
    unless it has its own; export it so Dagster and every subprocess agree.

    The embedded app DB (SQLite under DAGSTER_HOME, SALESAGENT_DATABASE_URL unset) belongs
    to this instance, so it is brought to head here as well. A configured database, the
    production one, is left alone: only the deploy's `salesagent db upgrade` and
    `start_local_instance` migrate it, so an operator's command never changes its schema."""
    home = _home_with_instance_config()
    if app_db_is_embedded():
        migrate(database_url())
    return home


def start_local_instance() -> Path:
    """What `salesagent process`, `ui` and `demo` do first: DAGSTER_HOME ready and the app DB
    they will use, embedded or configured, at head. They start the product on this machine
    as a deploy would, once; their run workers then only check the schema."""
    home = _home_with_instance_config()
    migrate(database_url())
    return home


def _home_with_instance_config() -> Path:
    home = dagster_home().resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() and INSTANCE_CONFIG.exists():
        shutil.copyfile(INSTANCE_CONFIG, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home

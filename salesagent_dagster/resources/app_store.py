"""The app DB as a Dagster resource: a transaction per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource
from sqlalchemy.orm import Session

from salesagent_dagster.store.database import require_schema_at_head, session_scope


class AppStoreResource(ConfigurableResource):
    """SALESAGENT_DATABASE_URL: SQLite under DAGSTER_HOME by default, Postgres in production."""

    database_url: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        # Checked, not migrated: see `require_schema_at_head` for who migrates and why.
        require_schema_at_head(self.database_url)
        with session_scope(self.database_url) as session:
            yield session

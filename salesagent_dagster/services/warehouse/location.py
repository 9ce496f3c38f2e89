"""Where the warehouse is (from the settings), and the environment dbt reads it from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from salesagent_dagster.settings import warehouse_path, warehouse_url
from salesagent_dagster.store.database import normalise_database_url


@dataclass(frozen=True)
class WarehouseLocation:
    """A DuckDB file, or (when `url` is set) a PostgreSQL database."""

    path: Path
    url: str = ""

    @property
    def is_duckdb(self) -> bool:
        return not self.url

    @property
    def dbt_target(self) -> str:
        """The dbt_outreach/profiles.yml output for this location."""
        return "duckdb" if self.is_duckdb else "postgres"

    def dbt_env(self) -> dict[str, str]:
        """The DBT_WAREHOUSE_* variables dbt_outreach/profiles.yml reads: derived from the
        product's settings here, set only in the environment of the dbt process."""
        if self.is_duckdb:
            return {"DBT_WAREHOUSE_PATH": str(self.path)}
        url = make_url(self.url)
        return {
            "DBT_WAREHOUSE_HOST": url.host or "127.0.0.1",
            "DBT_WAREHOUSE_PORT": str(url.port or 5432),
            "DBT_WAREHOUSE_USER": url.username or "postgres",
            "DBT_WAREHOUSE_PASSWORD": url.password or "",
            "DBT_WAREHOUSE_DBNAME": url.database or "warehouse",
        }


def configured_warehouse() -> WarehouseLocation:
    """SALESAGENT_WAREHOUSE_URL if set, else SALESAGENT_WAREHOUSE_PATH's DuckDB file."""
    url = warehouse_url()
    return WarehouseLocation(path=warehouse_path(), url=normalise_database_url(url) if url else "")

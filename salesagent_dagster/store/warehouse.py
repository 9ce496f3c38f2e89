"""The analytics warehouse's raw schema: tables, writes by key, the export watermark, and
the scans erasure needs. DuckDB (a file, the embedded default) or PostgreSQL.

The raw tables are written here and only here; dbt (dbt_outreach) reads them as sources and
builds the staging and mart schemas beside them. Timestamps are UTC without a zone, so both
engines and dbt's date functions treat them alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, create_engine

if TYPE_CHECKING:
    # Imported where used: every process that loads the code location imports this module
    # (the raw table list), and a lead's run worker needs neither (~1 CPU-s of imports).
    import duckdb
    import pandas as pd

TEXT, FLOAT, INT, BOOL, TIME = "VARCHAR", "DOUBLE PRECISION", "INTEGER", "BOOLEAN", "TIMESTAMP"

# table -> (key column, [(column, type)]); dbt_outreach/models/staging/sources.yml names them.
RAW_TABLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "leads": ("lead_key", [
        ("lead_key", TEXT), ("person_hash", TEXT), ("form_id", TEXT), ("submitted_at", TIME),
        ("received_at", TIME),
        ("qualified", BOOL), ("reason_code", TEXT), ("icp_score", FLOAT), ("icp_bucket", TEXT),
        ("domain_verified", BOOL), ("mailbox_hash", TEXT), ("first_drafted_at", TIME),
    ]),
    "decisions": ("decision_key", [
        ("decision_key", TEXT), ("lead_key", TEXT), ("decided_by", TEXT), ("outcome", TEXT),
        ("draft_version", INT), ("confidence", FLOAT), ("threshold", FLOAT), ("rule", TEXT),
        ("decided_at", TIME),
    ]),
    "sends": ("send_key", [
        ("send_key", TEXT), ("lead_key", TEXT), ("step", INT), ("mode", TEXT), ("state", TEXT),
        ("mailbox_hash", TEXT), ("voice_version", INT), ("claimed_at", TIME),
        ("settled_at", TIME),
    ]),
    # A send's experiment arms, one row per experiment (its draft version's `variant`).
    "send_variants": ("variant_key", [
        ("variant_key", TEXT), ("send_key", TEXT), ("lead_key", TEXT), ("experiment", TEXT),
        ("arm", TEXT),
    ]),
    "follow_up_steps": ("step_key", [
        ("step_key", TEXT), ("lead_key", TEXT), ("step", INT), ("state", TEXT),
        ("reason", TEXT), ("due_at", TIME), ("updated_at", TIME),
    ]),
    "replies": ("reply_key", [
        ("reply_key", TEXT), ("lead_key", TEXT), ("kind", TEXT), ("reason", TEXT),
        ("received_at", TIME),
    ]),
    "suppressions": ("person_hash", [
        ("person_hash", TEXT), ("reason", TEXT), ("suppressed_at", TIME),
    ]),
}  # fmt: skip
PER_LEAD_TABLES = (
    "leads", "decisions", "sends", "send_variants", "follow_up_steps", "replies",
)  # fmt: skip
PERSON_HASH_TABLES = ("leads", "suppressions")
WATERMARK_TABLE = "export_watermark"
DUCKDB_SCHEMA = "main"
POSTGRES_SCHEMA = "warehouse"


class Warehouse(Protocol):
    """One open connection to the warehouse, inside one transaction."""

    raw_schema: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def insert(self, table: str, frame: pd.DataFrame) -> None: ...

    def schemas(self) -> list[str]:
        """The warehouse's own schemas (raw, staging, marts), for scans."""
        ...


def raw_schema_of(target_schema: str) -> str:
    return f"{target_schema}_raw"


@dataclass
class _DuckDB:
    connection: duckdb.DuckDBPyConnection
    raw_schema: str = raw_schema_of(DUCKDB_SCHEMA)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.connection.execute(sql.replace("%s", "?"), list(params))
        return cursor.fetchall() if cursor.description else []

    def insert(self, table: str, frame: pd.DataFrame) -> None:
        self.connection.register("incoming", frame)
        try:
            columns = ", ".join(frame.columns)
            self.connection.execute(
                f"INSERT INTO {self.raw_schema}.{table} ({columns}) SELECT {columns} FROM incoming"
            )
        finally:
            self.connection.unregister("incoming")

    def schemas(self) -> list[str]:
        rows = self.execute(
            "SELECT DISTINCT schema_name FROM information_schema.schemata "
            "WHERE catalog_name = current_database() AND schema_name LIKE %s",
            [f"{DUCKDB_SCHEMA}%"],
        )
        return sorted(row[0] for row in rows)


@dataclass
class _Postgres:
    connection: Any  # a psycopg2 connection
    raw_schema: str = raw_schema_of(POSTGRES_SCHEMA)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall() if cursor.description else []

    def insert(self, table: str, frame: pd.DataFrame) -> None:
        import pandas as pd

        columns = ", ".join(frame.columns)
        marks = ", ".join(["%s"] * len(frame.columns))
        rows = [
            tuple(None if pd.isna(v) else v for v in row)
            for row in frame.astype(object).itertuples(index=False)
        ]
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {self.raw_schema}.{table} ({columns}) VALUES ({marks})", rows
            )

    def schemas(self) -> list[str]:
        rows = self.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
            [f"{POSTGRES_SCHEMA}%"],
        )
        return sorted(row[0] for row in rows)


@contextmanager
def open_warehouse(path: Path, url: str = "", *, read_only: bool = False) -> Iterator[Warehouse]:
    """The warehouse in one transaction, committed on success: PostgreSQL when `url` is set,
    else the DuckDB file at `path` (created on first write). The caller holds the writer
    lock for DuckDB (services/warehouse/lock.py): DuckDB allows one process per file."""
    if url:
        engine = _postgres_engine(url)
        raw = engine.raw_connection()
        try:
            yield _Postgres(raw.driver_connection)
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    import duckdb

    connection = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            connection.execute("BEGIN TRANSACTION")
        yield _DuckDB(connection)
        if not read_only:
            connection.execute("COMMIT")
    except BaseException:
        if not read_only:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.close()


def checkpoint(path: Path) -> None:
    """Write the DuckDB file's WAL into it, so deleted rows leave the file's live blocks."""
    import duckdb

    connection = duckdb.connect(str(path))
    try:
        connection.execute("CHECKPOINT")
    finally:
        connection.close()


_pg_engines: dict[str, Engine] = {}


def _postgres_engine(url: str) -> Engine:
    if url not in _pg_engines:
        _pg_engines[url] = create_engine(url, pool_pre_ping=True)
    return _pg_engines[url]


def create_raw_tables(warehouse: Warehouse) -> bool:
    """Create the raw tables; a table whose columns are not this code's is dropped and made
    again, and the watermark cleared, so the next export rewrites everything (raw rows are
    all derived from the app DB: rebuilding them loses nothing). True if that happened."""
    warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {warehouse.raw_schema}")
    rebuilt = False
    for table, (key, columns) in RAW_TABLES.items():
        existing = [
            row[0]
            for row in warehouse.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                [warehouse.raw_schema, table],
            )
        ]
        if existing and existing != [name for name, _ in columns]:
            # CASCADE: PostgreSQL's dbt views on it go too; the next dbt build remakes them.
            warehouse.execute(f"DROP TABLE {warehouse.raw_schema}.{table} CASCADE")
            rebuilt = True
        spec = ", ".join(f"{name} {kind}" for name, kind in columns)
        warehouse.execute(
            f"CREATE TABLE IF NOT EXISTS {warehouse.raw_schema}.{table} "
            f"({spec}, PRIMARY KEY ({key}))"
        )
    warehouse.execute(
        f"CREATE TABLE IF NOT EXISTS {warehouse.raw_schema}.{WATERMARK_TABLE} "
        f"(id INTEGER PRIMARY KEY, exported_through {TIME}, exported_at {TIME})"
    )
    if rebuilt:
        warehouse.execute(f"DELETE FROM {warehouse.raw_schema}.{WATERMARK_TABLE}")
    return rebuilt


def watermark(warehouse: Warehouse) -> datetime | None:
    """Up to when the app DB has been exported (UTC, naive), None before the first export."""
    rows = warehouse.execute(
        f"SELECT exported_through FROM {warehouse.raw_schema}.{WATERMARK_TABLE} WHERE id = 1"
    )
    return rows[0][0] if rows else None


def set_watermark(warehouse: Warehouse, through: datetime, now: datetime) -> None:
    warehouse.execute(f"DELETE FROM {warehouse.raw_schema}.{WATERMARK_TABLE} WHERE id = 1")
    warehouse.execute(
        f"INSERT INTO {warehouse.raw_schema}.{WATERMARK_TABLE} VALUES (1, %s, %s)", [through, now]
    )


def delete_where(warehouse: Warehouse, table: str, column: str, values: Sequence[str]) -> int:
    """Delete the rows of a raw table whose `column` is one of `values`; how many went."""
    if not values:
        return 0
    marks = ", ".join(["%s"] * len(values))
    where = f"FROM {warehouse.raw_schema}.{table} WHERE {column} IN ({marks})"
    count = int(warehouse.execute(f"SELECT count(*) {where}", list(values))[0][0])
    warehouse.execute(f"DELETE {where}", list(values))
    return count


def replace_rows(warehouse: Warehouse, table: str, frame: pd.DataFrame) -> None:
    """Upsert by the table's key: rows with the frame's keys are replaced by the frame."""
    key, columns = RAW_TABLES[table]
    if frame.empty:
        return
    delete_where(warehouse, table, key, [str(k) for k in frame[key]])
    warehouse.insert(table, frame[[name for name, _ in columns]])


def raw_tables_exist(warehouse: Warehouse) -> bool:
    return warehouse.raw_schema in warehouse.schemas()


def text_columns_containing(warehouse: Warehouse, needles: Sequence[str]) -> list[str]:
    """`schema.table.column (n rows)` for every text column of the warehouse's schemas
    holding a needle, case-insensitive; `[]` when none does."""
    found = []
    for schema in warehouse.schemas():
        columns = warehouse.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND data_type IN ('VARCHAR', 'TEXT', 'character varying', "
            "'text')",
            [schema],
        )
        for table, column in columns:
            condition = " OR ".join([f"lower({column}) LIKE %s"] * len(needles))
            hits = warehouse.execute(
                f'SELECT count(*) FROM {schema}."{table}" WHERE {condition}',
                [f"%{n.lower()}%" for n in needles],
            )[0][0]
            if hits:
                found.append(f"{schema}.{table}.{column} ({hits} rows)")
    return found


def marts_schema_of(warehouse: Warehouse) -> str:
    """dbt_outreach's marts schema beside the raw one (`main_marts`, `warehouse_marts`)."""
    return warehouse.raw_schema.removesuffix("_raw") + "_marts"

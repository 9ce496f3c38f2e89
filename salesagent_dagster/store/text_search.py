"""Where any of some texts occurs in a database: every textual column of every table.

Read by reflection, so it covers any database (the app DB and Dagster's own storages) and
tables added later; the verification after an erasure asks it about the erased address.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import JSON, Engine, MetaData, String, Table, Text, cast, func, inspect, or_, select
from sqlalchemy.sql.sqltypes import NullType

_TEXTUAL = (String, Text, JSON, NullType)


def columns_containing(engine: Engine, needles: Sequence[str]) -> tuple[list[str], int]:
    """`table.column (n rows)` for every textual column holding a needle (case-insensitive),
    and how many tables were scanned."""
    found = []
    tables = inspect(engine).get_table_names()
    with engine.connect() as connection:
        for table_name in tables:
            table = Table(table_name, MetaData(), autoload_with=connection)
            for column in table.columns:
                if not isinstance(column.type, _TEXTUAL):
                    continue
                text = func.lower(cast(column, Text))
                condition = or_(*(text.contains(n, autoescape=True) for n in needles))
                hits = connection.execute(
                    select(func.count()).select_from(table).where(condition)
                ).scalar()
                if hits:
                    found.append(f"{table_name}.{column.name} ({hits} rows)")
    return found, len(tables)

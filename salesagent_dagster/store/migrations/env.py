"""Alembic environment: runs against the connection `store.database.migrate` hands in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from salesagent_dagster.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as fresh:
        context.configure(
            connection=fresh,
            target_metadata=target_metadata,
            render_as_batch=fresh.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()

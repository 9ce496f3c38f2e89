"""The warehouse code location (`salesagent_warehouse`): the warehouse export, dbt_outreach's
models and what learns from the marts. Its own location so that dbt's imports stay out of
every lead's run worker (`code_locations`)."""

from __future__ import annotations

from salesagent_dagster.code_locations import build_warehouse_definitions
from salesagent_dagster.observability.setup import init_observability

init_observability()

defs = build_warehouse_definitions()

"""The lead code location (`salesagent_dagster`): every defs folder but the warehouse's,
merged, with resources chosen from the settings. `code_locations` says what goes where and
why; `warehouse_definitions` is the other location."""

from __future__ import annotations

from salesagent_dagster.code_locations import build_definitions
from salesagent_dagster.observability.setup import init_observability

# Redacted logs and (when SENTRY_DSN is set) Sentry in every process that loads the code.
init_observability()

__all__ = ["build_definitions", "defs"]

defs = build_definitions()

"""The one Definitions object: each defs folder's own definitions, merged, plus resources
chosen from the settings. Adding a concern is adding a folder with a `definitions.py`."""

from __future__ import annotations

from importlib import import_module

from dagster import Definitions

from salesagent_dagster.observability.setup import init_observability
from salesagent_dagster.settings import resources_from_env

# Redacted logs and (when SENTRY_DSN is set) Sentry in every process that loads the code.
init_observability()

FOLDERS = ("intake", "leads", "safety", "review", "controls", "maintenance", "privacy")


def folder_definitions() -> list[Definitions]:
    """Each `defs/<folder>/definitions.py`'s `defs()`, in the order of FOLDERS: built per
    call, as the schedules read their settings (cron, time zone) when they are made."""
    return [import_module(f"salesagent_dagster.defs.{name}.definitions").defs() for name in FOLDERS]


def build_definitions() -> Definitions:
    """Definitions with resources read from the environment as it is now (the CLI sets the
    sandbox's URLs first, then calls this)."""
    return Definitions.merge(
        *folder_definitions(), Definitions(resources=resources_from_env().as_dict())
    )


defs = build_definitions()

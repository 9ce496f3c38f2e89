"""The one Definitions object: each defs folder's own definitions, merged, plus resources
chosen from the settings. Adding a concern is adding a folder with a `definitions.py`."""

from __future__ import annotations

import pkgutil
from importlib import import_module
from importlib.util import find_spec

from dagster import Definitions

import salesagent_dagster.defs as defs_package
from salesagent_dagster.observability.setup import init_observability
from salesagent_dagster.settings import resources_from_env

# Redacted logs and (when SENTRY_DSN is set) Sentry in every process that loads the code.
init_observability()


def definition_folders() -> list[str]:
    """Every `defs/<folder>/` that has a `definitions.py`, by name: a new concern is picked
    up by adding its folder, with no list here to forget."""
    return sorted(
        module.name
        for module in pkgutil.iter_modules(defs_package.__path__)
        if module.ispkg and find_spec(f"{defs_package.__name__}.{module.name}.definitions")
    )


def folder_definitions() -> list[Definitions]:
    """Each folder's `defs()`: built per call, as the schedules read their settings (cron,
    time zone) when they are made."""
    return [
        import_module(f"{defs_package.__name__}.{name}.definitions").defs()
        for name in definition_folders()
    ]


def build_definitions() -> Definitions:
    """Definitions with resources read from the environment as it is now (the CLI sets the
    sandbox's URLs first, then calls this)."""
    return Definitions.merge(
        *folder_definitions(), Definitions(resources=resources_from_env().as_dict())
    )


defs = build_definitions()

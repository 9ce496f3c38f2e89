"""The product's two code locations, built from the defs folders.

- `salesagent_dagster` (`definitions.py`): everything a lead goes through, and the
  operations around it (intake, the lead assets, review, returns, follow-ups, privacy,
  controls, voices, backups).
- `salesagent_warehouse` (`warehouse_definitions.py`): the warehouse (the export and
  dbt_outreach's models) and what learns from its marts (the A/B scoring, the threshold
  learner).

Why two: every run worker imports its whole code location, and dbt (dagster-dbt, dbt-core and
what they pull in: networkx, mashumaro, sqlglot, agate) cost each lead's run about 0.9 CPU-s
of imports it never used, close to half of Dagster's own per-lead floor (issue 15). Dagster
resolves an asset's dependencies across code locations by key, so lineage from a lead's
records to the marts is unchanged; each location's runs load only their own code.

A new folder joins the lead location unless it is named in `WAREHOUSE_FOLDERS`: the default
is the location that must stay light, and a heavy folder is a choice written down here.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from importlib.util import find_spec

from dagster import Definitions

import salesagent_dagster.defs as defs_package
from salesagent_dagster.settings import resources_from_env

LEAD_LOCATION = "salesagent_dagster"
WAREHOUSE_LOCATION = "salesagent_warehouse"

# Folders that import dbt, or read the marts it builds.
WAREHOUSE_FOLDERS = frozenset({"analytics", "experiments", "learning"})


def definition_folders() -> list[str]:
    """Every `defs/<folder>/` that has a `definitions.py`, by name: a new concern is picked
    up by adding its folder, with no list here to forget."""
    return sorted(
        module.name
        for module in pkgutil.iter_modules(defs_package.__path__)
        if module.ispkg and find_spec(f"{defs_package.__name__}.{module.name}.definitions")
    )


def lead_folders() -> list[str]:
    return [name for name in definition_folders() if name not in WAREHOUSE_FOLDERS]


def warehouse_folders() -> list[str]:
    return [name for name in definition_folders() if name in WAREHOUSE_FOLDERS]


def folder_definitions(folders: list[str]) -> list[Definitions]:
    """Each folder's `defs()`: built per call, as the schedules read their settings (cron,
    time zone) when they are made."""
    return [import_module(f"{defs_package.__name__}.{name}.definitions").defs() for name in folders]


def _with_resources(folders: list[str]) -> Definitions:
    """The folders' definitions with resources read from the environment as it is now (the
    CLI sets the sandbox's URLs first, then builds)."""
    return Definitions.merge(
        *folder_definitions(folders), Definitions(resources=resources_from_env().as_dict())
    )


def build_definitions() -> Definitions:
    """The lead location."""
    return _with_resources(lead_folders())


def build_warehouse_definitions() -> Definitions:
    """The warehouse location."""
    return _with_resources(warehouse_folders())


def build_workspace_definitions() -> Definitions:
    """Both locations as one, for what looks across them in one process: the asset graph's
    test, and the CLI commands that run a job of either in process."""
    return _with_resources(definition_folders())

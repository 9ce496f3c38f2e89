"""dbt's partial parse kept between refreshes, so an hourly build does not re-parse the project.

Each `dbt build` writes its artifacts to a temporary directory of its own (they would pile up
under the project otherwise), and dbt looks for `partial_parse.msgpack` in that directory: so
every refresh started from nothing and parsed the whole project again (about 4 s of the
build). The file the last build left is kept under DAGSTER_HOME and put back before the next
one (beside the warehouse's DuckDB file, where DAGSTER_HOME keeps it by default). dbt itself decides whether it still applies (it checks the project files, the profile and
the variables it was parsed with, and parses again when any changed), so a stale copy costs a
full parse, never a wrong build. One file per dbt target: the DuckDB and Postgres profiles
parse differently.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from salesagent_dagster.services.warehouse.location import WarehouseLocation

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def kept_partial_parse(location: WarehouseLocation) -> Path:
    return location.path.parent / "dbt_outreach" / location.dbt_target / PARTIAL_PARSE_FILE


def restore_partial_parse(location: WarehouseLocation, artifacts: Path) -> bool:
    """Put the last build's parse into `artifacts`; False when there is none yet."""
    kept = kept_partial_parse(location)
    if not kept.exists():
        return False
    shutil.copyfile(kept, artifacts / PARTIAL_PARSE_FILE)
    return True


def keep_partial_parse(location: WarehouseLocation, artifacts: Path) -> None:
    """Keep this build's parse for the next one (written aside, then moved into place, so a
    reader never sees half a file)."""
    produced = artifacts / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    kept = kept_partial_parse(location)
    kept.parent.mkdir(parents=True, exist_ok=True)
    staging = kept.with_suffix(".tmp")
    shutil.copyfile(produced, staging)
    staging.replace(kept)

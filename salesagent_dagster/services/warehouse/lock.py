"""One writer at a time on the DuckDB file (DESIGN section 7: DuckDB takes a process-wide
lock on the file, and a second writer fails with "Could not set lock on file").

A file lock rather than a Dagster concurrency pool: the writers are not all Dagster steps
(the CLI's erasure and its verification scan open the file too), and a pool limit is
instance configuration that a fresh DAGSTER_HOME would not have. The export asset, the dbt
build, erasure and the scan each hold it while the file is open. PostgreSQL needs no lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from salesagent_dagster.services.warehouse.location import WarehouseLocation

LOCK_TIMEOUT_SECONDS = 600.0


class WarehouseBusy(RuntimeError):
    """Another process held the warehouse file for longer than the timeout."""


@contextmanager
def warehouse_writer(
    location: WarehouseLocation, timeout: float = LOCK_TIMEOUT_SECONDS
) -> Iterator[None]:
    if not location.is_duckdb:
        yield
        return
    location.path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(f"{location.path}.lock", timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise WarehouseBusy(
            f"the warehouse file {location.path} stayed locked for {timeout:.0f} s by another "
            "export, dbt build or erasure; try again when it ends"
        ) from None
    try:
        yield
    finally:
        lock.release()

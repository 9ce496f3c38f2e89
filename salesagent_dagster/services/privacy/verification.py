"""After an erasure: look for the address in every store and say where it still is.

Scanned: every text and JSON column of every app DB table; every table of the Dagster
instance's SQL storages (runs and their config and tags, event records, the asset index,
check executions, schedules and ticks); the bytes of every file under DAGSTER_HOME and of a
SQLite app DB (free pages and WALs included, which a row-level scan cannot see); compute
logs wherever the compute log manager keeps them (local files, S3); the analytics warehouse
(every text column of its schemas, and the DuckDB file's bytes wherever it lives); and every
registered warehouse hook. The report names places, never the address (DESIGN I-7).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterInstance
from sqlalchemy import Engine, create_engine

from salesagent_dagster.services.privacy.person_lookup import address_spellings
from salesagent_dagster.services.privacy.warehouse_hooks import registered_hooks
from salesagent_dagster.services.warehouse.erasure import find_in_warehouse
from salesagent_dagster.store.database import get_engine
from salesagent_dagster.store.sqlite_compaction import is_sqlite_file, sqlite_path
from salesagent_dagster.store.text_search import columns_containing


@dataclass
class VerificationReport:
    findings: list[str] = field(default_factory=list)
    scanned: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.findings

    def format(self) -> str:
        lines = [f"scanned {what}: {count}" for what, count in self.scanned.items()]
        if self.clean:
            lines.append("verification: the address was found nowhere")
        else:
            lines.append(
                f"verification FAILED: the address is still in {len(self.findings)} place(s)"
            )
            lines += [f"  - {where}" for where in self.findings]
        return "\n".join(lines)


def verify_erased(
    address: str, *, database_url: str, instance: DagsterInstance
) -> VerificationReport:
    needles = address_spellings(address)
    report = VerificationReport()
    app_engine = get_engine(database_url)
    report.findings += [f"app DB {w}" for w in scan_engine(app_engine, needles, report, "app DB")]
    app_file = sqlite_path(database_url)
    if app_file is not None:
        report.findings += scan_files(_with_sidecars(app_file), needles, report, "app DB files")
    for name, engine in _dagster_engines(instance):
        report.findings += [
            f"Dagster {name} {w}" for w in scan_engine(engine, needles, report, f"Dagster {name}")
        ]
    home = Path(instance.root_directory)
    dagster_files = [p for p in home.rglob("*") if p.is_file() and not _is_app_db(p, app_file)]
    report.findings += scan_files(dagster_files, needles, report, "DAGSTER_HOME files")
    report.findings += _scan_compute_logs(instance, needles, report)
    report.scanned["analytics warehouse"] = 1
    report.findings += [f"analytics warehouse {w}" for w in find_in_warehouse(needles)]
    for hook in registered_hooks():
        report.scanned[f"warehouse {hook.name}"] = 1
        report.findings += [f"warehouse {hook.name}: {w}" for n in needles for w in hook.find(n)]
    return report


def scan_engine(
    engine: Engine, needles: list[str], report: VerificationReport, label: str
) -> list[str]:
    """`table.column (n rows)` for every textual column holding a needle (case-insensitive)."""
    found, tables = columns_containing(engine, needles)
    report.scanned[f"{label} tables"] = report.scanned.get(f"{label} tables", 0) + tables
    return found


def scan_files(
    paths: list[Path], needles: list[str], report: VerificationReport, label: str
) -> list[str]:
    found = []
    encoded = [n.encode() for n in needles]
    for path in paths:
        if not path.exists():
            continue
        data = path.read_bytes().lower()
        if any(n in data for n in encoded):
            found.append(f"{label}: {path.name}")
    report.scanned[label] = report.scanned.get(label, 0) + len(paths)
    return found


def _scan_compute_logs(
    instance: DagsterInstance, needles: list[str], report: VerificationReport
) -> list[str]:
    manager = instance.compute_log_manager
    base_dir = getattr(manager, "_base_dir", None) or getattr(
        getattr(manager, "local_manager", None), "_base_dir", None
    )
    found = []
    if base_dir and Path(base_dir).resolve() == Path(tempfile.gettempdir()).resolve():
        # S3ComputeLogManager stages in the system temp dir unless told otherwise; walking it
        # would scan every other program's files. Production sets local_dir (dagster.yaml).
        report.scanned["compute log files (staging is the system temp dir: not scanned)"] = 0
    elif base_dir:
        files = [p for p in Path(base_dir).rglob("*") if p.is_file()]
        found += scan_files(files, needles, report, "compute log files")
    s3 = getattr(manager, "_s3_session", None)
    if s3 is not None:
        bucket, prefix = manager._s3_bucket, manager._s3_prefix  # type: ignore[attr-defined]
        keys = [
            obj["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]
        for key in keys:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().lower()
            if any(n.encode() in body for n in needles):
                found.append(f"compute logs s3://{bucket}/{key}")
        report.scanned["compute log objects (S3)"] = len(keys)
    return found


def _dagster_engines(instance: DagsterInstance) -> list[tuple[str, Engine]]:
    """The database behind a server-backed instance (Postgres: one database holds the run,
    event and schedule storage), and every SQLite file under DAGSTER_HOME."""
    engines: dict[str, tuple[str, Engine]] = {}
    for storage in (instance.run_storage, instance.event_log_storage, instance.schedule_storage):
        engine = _engine_of(storage)
        if engine is not None and engine.dialect.name != "sqlite":
            engines.setdefault(str(engine.url), ("storage database", engine))
    home = Path(instance.root_directory)
    for path in sorted(home.rglob("*.db")):
        if is_sqlite_file(path):
            engines[str(path)] = (
                f"file {path.relative_to(home)}",
                create_engine(f"sqlite:///{path}"),
            )
    return list(engines.values())


def _engine_of(storage: object) -> Engine | None:
    """`_engine` of a dagster-postgres storage, also when wrapped by `storage: postgres:`."""
    engine = getattr(storage, "_engine", None)
    if isinstance(engine, Engine):
        return engine
    inner = getattr(storage, "_storage", None)
    for attribute in ("run_storage", "event_log_storage", "schedule_storage"):
        engine = getattr(getattr(inner, attribute, None), "_engine", None)
        if isinstance(engine, Engine):
            return engine
    return None


def _with_sidecars(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


def _is_app_db(path: Path, app_file: Path | None) -> bool:
    return app_file is not None and path.resolve() in {
        p.resolve() for p in _with_sidecars(app_file)
    }

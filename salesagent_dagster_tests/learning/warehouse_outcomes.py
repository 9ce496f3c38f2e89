"""A real warehouse for the learner's tests: raw rows written as the export writes them, then
dbt_outreach's own models (`dbt run` of send_outcomes and lead_outcomes and what they read)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pandas as pd

from salesagent_dagster.settings import REPOSITORY_DBT_PROJECT
from salesagent_dagster.store import warehouse
from salesagent_dagster.store.warehouse import RAW_TABLES


def write_raw(path: Path, rows: dict[str, Iterable[dict[str, object]]]) -> None:
    with warehouse.open_warehouse(path) as wh:
        warehouse.create_raw_tables(wh)
        for table, records in rows.items():
            columns = [name for name, _ in RAW_TABLES[table][1]]
            frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in records], columns=columns)
            warehouse.replace_rows(wh, table, frame)


def build_marts(path: Path, scratch: Path) -> None:
    """dbt run of the learner's marts into the DuckDB file at `path`."""
    dbt = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"
    env = {
        **os.environ,
        "DBT_WAREHOUSE_PATH": str(path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    completed = subprocess.run(
        [
            dbt, "run", "--select", "+send_outcomes", "+lead_outcomes",
            "--project-dir", str(REPOSITORY_DBT_PROJECT),
            "--profiles-dir", str(REPOSITORY_DBT_PROJECT),
            "--target", "duckdb", "--target-path", str(scratch / "target"),
            "--log-path", str(scratch / "logs"),
        ],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]


def lead(key: str, at: datetime) -> dict[str, object]:
    return {
        "lead_key": key, "person_hash": f"h-{key}", "form_id": "f", "submitted_at": at,
        "received_at": at, "qualified": True, "reason_code": None, "icp_score": 0.95,
        "icp_bucket": "high", "domain_verified": True, "mailbox_hash": "m", "first_drafted_at": at,
    }  # fmt: skip


def decision(key: str, by: str, outcome: str, at: datetime) -> dict[str, object]:
    return {
        "decision_key": f"{key}-{by}", "lead_key": key, "decided_by": by, "outcome": outcome,
        "draft_version": 1, "confidence": 0.9, "threshold": 0.85,
        "rule": "known_good" if by == "rules" else None, "decided_at": at,
    }  # fmt: skip


def send(key: str, mode: str, at: datetime) -> dict[str, object]:
    return {
        "send_key": f"{key}-0", "lead_key": key, "step": 0, "mode": mode,
        "state": "sent" if mode == "send" else "drafted", "mailbox_hash": "m",
        "claimed_at": at, "settled_at": at,
    }  # fmt: skip


def reply(key: str, kind: str, at: datetime) -> dict[str, object]:
    return {"reply_key": f"{key}-{kind}", "lead_key": key, "kind": kind, "reason": None,
            "received_at": at}  # fmt: skip

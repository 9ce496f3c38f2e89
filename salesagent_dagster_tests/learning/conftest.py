"""The learner tests' one real warehouse, built once per session (a dbt run: seconds).

The week before NOW: 60 auto-approved real sends with 3 replies and 1 unsubscribe (a 5%
reply rate: raise), beside sends that must not count: reviewed leads, Gmail drafts made
while real sends were off, and auto-approved sends from before the window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from salesagent_dagster.services.warehouse.location import WarehouseLocation
from salesagent_dagster_tests.learning.warehouse_outcomes import (
    build_marts,
    decision,
    lead,
    reply,
    send,
    write_raw,
)

IN_WINDOW = datetime(2026, 6, 3, 10, 0)  # the warehouse keeps UTC without a zone
BEFORE_WINDOW = datetime(2026, 5, 20, 10, 0)


@pytest.fixture(scope="session")
def location(tmp_path_factory) -> WarehouseLocation:
    root = tmp_path_factory.mktemp("learner_warehouse")
    rows: dict[str, list[dict[str, object]]] = {t: [] for t in ("leads", "decisions", "sends")}
    rows["replies"] = []

    def add(key: str, mode: str, at: datetime, reviewed: bool = False) -> None:
        rows["leads"].append(lead(key, at))
        rows["decisions"].append(
            decision(key, "rules", "needs_review" if reviewed else "auto_approve", at)
        )
        if reviewed:
            rows["decisions"].append(decision(key, "operator", "approve", at))
        rows["sends"].append(send(key, mode, at))

    for n in range(60):
        add(f"auto-{n}", "send", IN_WINDOW)
    for n in range(3):
        rows["replies"].append(reply(f"auto-{n}", "positive", IN_WINDOW + timedelta(hours=2)))
    rows["replies"].append(reply("auto-3", "unsubscribe", IN_WINDOW + timedelta(hours=3)))
    for n in range(10):  # none of these may count: every one of them "replied"
        for key, mode, at, reviewed in (
            (f"reviewed-{n}", "send", IN_WINDOW, True),
            (f"drafted-{n}", "draft", IN_WINDOW, False),
            (f"old-{n}", "send", BEFORE_WINDOW, False),
        ):
            add(key, mode, at, reviewed)
            rows["replies"].append(reply(key, "positive", at + timedelta(hours=1)))
    path = root / "warehouse.duckdb"
    write_raw(path, rows)
    build_marts(path, root)
    return WarehouseLocation(path=path)

"""Stopped experiment arms (app DB), and the variant_arms mart's rows (warehouse)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import ExperimentArmStop
from salesagent_dagster.store.warehouse import Warehouse, marts_schema_of
from salesagent_dagster.store.warehouse_marts import marts_exist

VARIANT_ARMS_MART = "variant_arms"


def stopped_arms(session: Session) -> dict[str, dict[str, str]]:
    """experiment -> {arm: why it was stopped}."""
    stopped: dict[str, dict[str, str]] = {}
    for row in session.scalars(select(ExperimentArmStop)):
        stopped.setdefault(row.experiment, {})[row.arm] = row.reason
    return stopped


def stop_arm(
    session: Session, experiment: str, arm: str, reason: str, figures: dict[str, Any]
) -> bool:
    """Record the stop; False when the arm was stopped already (the first stop stands)."""
    if session.get(ExperimentArmStop, (experiment, arm)) is not None:
        return False
    session.add(ExperimentArmStop(experiment=experiment, arm=arm, reason=reason, figures=figures))
    session.flush()
    return True


def variant_arms_built(warehouse: Warehouse) -> bool:
    return marts_exist(warehouse, [VARIANT_ARMS_MART])


def variant_arm_rows(warehouse: Warehouse) -> list[tuple[str, str, int, int, int, int, int]]:
    """(experiment, arm, sends, positive_replies, negative_replies, unsubscribes, bounces)."""
    rows = warehouse.execute(
        "SELECT experiment, arm, sends, positive_replies, negative_replies, unsubscribes, "
        f"bounces FROM {marts_schema_of(warehouse)}.{VARIANT_ARMS_MART} ORDER BY experiment, arm"
    )
    return [
        (str(e), str(a), int(n), int(pos or 0), int(neg or 0), int(unsub or 0), int(b or 0))
        for e, a, n, pos, neg, unsub, b in rows
    ]

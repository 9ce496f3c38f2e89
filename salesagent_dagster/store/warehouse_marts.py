"""Reading dbt_outreach's marts for the report and the charts: the funnel, reply counts by ICP
bucket, the speed-to-lead histogram and the experiment arms. Counts only, nothing personal.

Each reader takes `since` (naive UTC, None: everything). Without it the aggregate mart is read
as dbt built it. With it the same shape is counted from the per-lead and per-send marts
(lead_outcomes, send_outcomes: views, one row per lead or delivered email, carrying the
submission time) over the leads submitted since then. The stage, bucket and outcome
definitions stay dbt's: the window only counts rows dbt already labelled, and takes the
stage list and the bucket labels from the aggregate marts themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from salesagent_dagster.store.warehouse import Warehouse, marts_schema_of

Counts = tuple[Any, ...]


def staging_schema_of(warehouse: Warehouse) -> str:
    return warehouse.raw_schema.removesuffix("_raw") + "_staging"


def marts_exist(warehouse: Warehouse, names: Sequence[str]) -> bool:
    """Whether every named mart (table or view) has been built."""
    rows = warehouse.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        [marts_schema_of(warehouse)],
    )
    return set(names) <= {row[0] for row in rows}


def funnel_stages(
    warehouse: Warehouse, since: datetime | None = None
) -> list[tuple[str, int, float | None]]:
    """The funnel in stage order: (stage, leads, share of submitted)."""
    marts = marts_schema_of(warehouse)
    rows = warehouse.execute(
        f"SELECT stage, leads, share_of_submitted FROM {marts}.funnel ORDER BY stage_order"
    )
    if since is None:
        return [(str(s), int(n), None if share is None else float(share)) for s, n, share in rows]
    # funnel.sql counts lead_outcomes' boolean column of each stage's name ('submitted': all).
    stages = [str(row[0]) for row in rows]
    if not all(stage.isidentifier() for stage in stages):
        raise ValueError(f"unexpected funnel stage names: {stages}")
    counts = ", ".join(
        "count(*)" if stage == "submitted" else f"sum(CASE WHEN {stage} THEN 1 ELSE 0 END)"
        for stage in stages
    )
    (values,) = warehouse.execute(
        f"SELECT {counts} FROM {marts}.lead_outcomes WHERE submitted_at >= %s", [since]
    )
    leads = [int(v or 0) for v in values]
    submitted = leads[stages.index("submitted")] if "submitted" in stages else None
    return [
        (stage, n, n / submitted if submitted else None)
        for stage, n in zip(stages, leads, strict=True)
    ]


def reply_counts_by_icp_bucket(
    warehouse: Warehouse, since: datetime | None = None
) -> list[tuple[str, int, int, int, int, int]]:
    """Delivered emails by the lead's ICP bucket: (bucket, sends, replies, positive replies,
    unsubscribes, bounces)."""
    marts = marts_schema_of(warehouse)
    if since is None:
        rows = warehouse.execute(
            "SELECT value, sends, replies, positive_replies, unsubscribes, bounces "
            f"FROM {marts}.reply_rates WHERE dimension = 'icp_bucket' ORDER BY value"
        )
    else:
        rows = warehouse.execute(
            "SELECT coalesce(cast(l.icp_bucket AS varchar), 'none') AS value, count(*), "
            "sum(s.replied), sum(s.positive), sum(s.unsubscribed), sum(s.bounced) "
            f"FROM {marts}.send_outcomes AS s "
            f"JOIN {marts}.lead_outcomes AS l ON l.lead_key = s.lead_key "
            "WHERE l.submitted_at >= %s GROUP BY 1 ORDER BY 1",
            [since],
        )
    return [(str(row[0]), *(int(n or 0) for n in row[1:])) for row in rows]  # type: ignore[misc]


def speed_to_lead(
    warehouse: Warehouse, since: datetime | None = None
) -> tuple[list[tuple[str, int]], float | None, float | None]:
    """The histogram of form submitted -> first email in Gmail: ([(bucket, leads)] in order,
    p50 seconds, p95 seconds); the percentiles are None when no lead was sent to."""
    marts = marts_schema_of(warehouse)
    if since is None:
        rows = warehouse.execute(
            f"SELECT bucket, leads, p50_seconds, p95_seconds FROM {marts}.speed_to_lead "
            "ORDER BY bucket_order"
        )
        p50, p95 = (rows[0][2], rows[0][3]) if rows else (None, None)
    else:
        rows = warehouse.execute(
            f"SELECT b.bucket, count(l.lead_key) FROM {marts}.speed_to_lead AS b "
            f"LEFT JOIN {marts}.lead_outcomes AS l "
            "ON l.speed_bucket = b.bucket AND l.submitted_at >= %s "
            "GROUP BY b.bucket_order, b.bucket ORDER BY b.bucket_order",
            [since],
        )
        ((p50, p95),) = warehouse.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds_to_send), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds_to_send) "
            f"FROM {marts}.lead_outcomes "
            "WHERE seconds_to_send IS NOT NULL AND submitted_at >= %s",
            [since],
        )
    buckets = [(str(row[0]), int(row[1])) for row in rows]
    return buckets, _float(p50), _float(p95)


def variant_arm_counts(
    warehouse: Warehouse, since: datetime | None = None
) -> list[tuple[str, str, int, int, int, int, int]]:
    """The variant_arms mart: (experiment, arm, sends, positive replies, negative replies,
    unsubscribes, bounces), first emails only."""
    marts = marts_schema_of(warehouse)
    if since is None:
        rows = warehouse.execute(
            "SELECT experiment, arm, sends, positive_replies, negative_replies, unsubscribes, "
            f"bounces FROM {marts}.variant_arms ORDER BY experiment, arm"
        )
    else:
        # variant_arms.sql over the window: first emails with each arm.
        rows = warehouse.execute(
            "SELECT v.experiment, v.arm, count(*), sum(s.positive), sum(s.negative), "
            "sum(s.unsubscribed), sum(s.bounced) "
            f"FROM {staging_schema_of(warehouse)}.stg_send_variants AS v "
            f"JOIN {marts}.send_outcomes AS s ON s.send_key = v.send_key "
            f"JOIN {marts}.lead_outcomes AS l ON l.lead_key = s.lead_key "
            "WHERE s.step = 0 AND l.submitted_at >= %s "
            "GROUP BY v.experiment, v.arm ORDER BY v.experiment, v.arm",
            [since],
        )
    return [
        (str(row[0]), str(row[1]), *(int(n or 0) for n in row[2:]))  # type: ignore[misc]
        for row in rows
    ]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)

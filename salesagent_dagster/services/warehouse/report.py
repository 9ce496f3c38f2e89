"""What `salesagent report`, the demo and the mart assets' charts show of the analytics
warehouse: the funnel, reply rates by ICP bucket (with Wilson intervals), the speed-to-lead
histogram and the experiment arms, read from dbt_outreach's marts. Stage names, buckets, arm
names, counts and rates only: nothing about a person.

`since` narrows it to the leads submitted in the window (store/warehouse_marts.py says how:
the per-lead marts carry the submission time the aggregate ones do not)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from salesagent_dagster.services.warehouse.location import WarehouseLocation, configured_warehouse
from salesagent_dagster.services.warehouse.lock import warehouse_writer
from salesagent_dagster.store import warehouse, warehouse_marts
from salesagent_dagster.store.warehouse import Warehouse

REPORT_MARTS = (
    "funnel", "reply_rates", "speed_to_lead", "variant_arms", "lead_outcomes", "send_outcomes",
)  # fmt: skip
HOW_TO_BUILD = (
    "run the refresh_warehouse job (Dagster UI -> Jobs -> refresh_warehouse; it also runs "
    "hourly), or `make demo` for the demo's warehouse"
)
WILSON_Z = 1.959964  # the normal quantile of a two-sided 95% interval


class MartsNotBuilt(RuntimeError):
    """The warehouse has not got every mart the report reads yet."""


def wilson_interval(successes: int, trials: int, z: float = WILSON_Z) -> tuple[float, float]:
    """The Wilson score interval of a proportion ((0, 1) for no trials). Written here: it is
    one formula, and the libraries that have it (statsmodels, scipy) are tens of MB each."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class FunnelStage:
    stage: str
    leads: int
    share_of_submitted: float | None  # None when nothing was submitted


@dataclass(frozen=True)
class BucketRates:
    """Delivered emails of one ICP bucket and what came back."""

    icp_bucket: str
    sends: int
    replies: int
    positive_replies: int
    unsubscribes: int
    bounces: int

    @property
    def reply_rate(self) -> float:
        return self.replies / self.sends if self.sends else 0.0

    @property
    def reply_rate_interval(self) -> tuple[float, float]:
        return wilson_interval(self.replies, self.sends)

    @property
    def positive_reply_rate(self) -> float:
        return self.positive_replies / self.sends if self.sends else 0.0

    @property
    def unsubscribe_rate(self) -> float:
        return self.unsubscribes / self.sends if self.sends else 0.0

    @property
    def bounce_rate(self) -> float:
        return self.bounces / self.sends if self.sends else 0.0


@dataclass(frozen=True)
class SpeedBucket:
    bucket: str
    leads: int


@dataclass(frozen=True)
class ArmRates:
    """First emails delivered with one arm of one experiment (the variant_arms mart)."""

    experiment: str
    arm: str
    sends: int
    positive_replies: int
    negative_replies: int
    unsubscribes: int
    bounces: int

    @property
    def variant(self) -> str:
        return f"{self.experiment}:{self.arm}"

    @property
    def positive_reply_rate(self) -> float:
        return self.positive_replies / self.sends if self.sends else 0.0

    @property
    def positive_reply_interval(self) -> tuple[float, float]:
        return wilson_interval(self.positive_replies, self.sends)


@dataclass(frozen=True)
class WarehouseReport:
    funnel: list[FunnelStage]
    rates_by_icp_bucket: list[BucketRates]
    speed_to_lead: list[SpeedBucket]
    p50_seconds: float | None  # None when no lead was sent to
    p95_seconds: float | None
    variant_arms: list[ArmRates]
    since: datetime | None = None  # leads submitted from then on; None: everything


def read_report(
    location: WarehouseLocation | None = None,
    since: timedelta | None = None,
    *,
    now: datetime | None = None,
    locked: bool = False,
) -> WarehouseReport:
    """The report over the leads submitted in the last `since` (everything when None);
    MartsNotBuilt (saying how to build them) when the warehouse or its marts do not exist
    yet. `locked`: the caller already holds the warehouse's writer lock (the dbt step)."""
    location = location or configured_warehouse()
    missing = MartsNotBuilt(
        f"the warehouse's marts are not built yet ({_where(location)}): {HOW_TO_BUILD}"
    )
    if location.is_duckdb and not location.path.exists():
        raise missing
    cutoff = None
    if since is not None:
        cutoff = ((now or datetime.now(UTC)) - since).astimezone(UTC).replace(tzinfo=None)
    if locked:
        return _read(location, cutoff, missing)
    # The lock: DuckDB refuses a reader while another process holds the file for writing.
    with warehouse_writer(location):
        return _read(location, cutoff, missing)


def _read(
    location: WarehouseLocation, cutoff: datetime | None, missing: MartsNotBuilt
) -> WarehouseReport:
    with warehouse.open_warehouse(location.path, location.url, read_only=True) as wh:
        if not warehouse_marts.marts_exist(wh, REPORT_MARTS):
            raise missing
        return _report(wh, cutoff)


def _report(wh: Warehouse, cutoff: datetime | None) -> WarehouseReport:
    buckets, p50, p95 = warehouse_marts.speed_to_lead(wh, cutoff)
    return WarehouseReport(
        funnel=[FunnelStage(*row) for row in warehouse_marts.funnel_stages(wh, cutoff)],
        rates_by_icp_bucket=[
            BucketRates(*row) for row in warehouse_marts.reply_counts_by_icp_bucket(wh, cutoff)
        ],
        speed_to_lead=[SpeedBucket(*row) for row in buckets],
        p50_seconds=p50,
        p95_seconds=p95,
        variant_arms=[ArmRates(*row) for row in warehouse_marts.variant_arm_counts(wh, cutoff)],
        since=cutoff,
    )


def _where(location: WarehouseLocation) -> str:
    return str(location.path) if location.is_duckdb else "the PostgreSQL warehouse"

"""What `salesagent report` and the demo show of the analytics warehouse: the funnel and the
reply rates by ICP bucket, read from dbt_outreach's marts. Stage names, buckets, counts and
rates only: nothing about a person.

The marts are aggregates without a submission time, so the report covers everything the
warehouse holds (the retention window bounds it)."""

from __future__ import annotations

from dataclasses import dataclass

from salesagent_dagster.services.warehouse.location import WarehouseLocation, configured_warehouse
from salesagent_dagster.services.warehouse.lock import warehouse_writer
from salesagent_dagster.store import warehouse

REPORT_MARTS = ("funnel", "reply_rates")
HOW_TO_BUILD = (
    "run the refresh_warehouse job (Dagster UI -> Jobs -> refresh_warehouse; it also runs "
    "hourly), or `make demo` for the demo's warehouse"
)


class MartsNotBuilt(RuntimeError):
    """The warehouse has no funnel or reply_rates mart yet."""


@dataclass(frozen=True)
class FunnelStage:
    stage: str
    leads: int
    share_of_submitted: float | None  # None when nothing was submitted


@dataclass(frozen=True)
class BucketRates:
    icp_bucket: str
    sends: int
    reply_rate: float
    positive_reply_rate: float
    unsubscribe_rate: float
    bounce_rate: float


@dataclass(frozen=True)
class WarehouseReport:
    funnel: list[FunnelStage]
    rates_by_icp_bucket: list[BucketRates]


def read_report(location: WarehouseLocation | None = None) -> WarehouseReport:
    """The funnel and the rates by ICP bucket; MartsNotBuilt (saying how to build them) when
    the warehouse or its marts do not exist yet."""
    location = location or configured_warehouse()
    missing = MartsNotBuilt(
        f"the warehouse's marts are not built yet ({_where(location)}): {HOW_TO_BUILD}"
    )
    if location.is_duckdb and not location.path.exists():
        raise missing
    # The lock: DuckDB refuses a reader while another process holds the file for writing.
    with (
        warehouse_writer(location),
        warehouse.open_warehouse(location.path, location.url, read_only=True) as wh,
    ):
        if not warehouse.marts_exist(wh, REPORT_MARTS):
            raise missing
        funnel = [FunnelStage(*row) for row in warehouse.funnel_stages(wh)]
        rates = [BucketRates(*row) for row in warehouse.reply_rates_by(wh, "icp_bucket")]
    return WarehouseReport(funnel=funnel, rates_by_icp_bucket=rates)


def _where(location: WarehouseLocation) -> str:
    return str(location.path) if location.is_duckdb else "the PostgreSQL warehouse"

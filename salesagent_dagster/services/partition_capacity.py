"""How close a SQLite Dagster instance is to the number of lead partitions it takes well.

Every lead is one dynamic partition of `submissions` until retention deletes it with the
lead, so an instance holds about (leads per day) x SALESAGENT_RETENTION_LEAD_DAYS of them.
Dagster recommends 100,000 partitions or fewer per asset (beyond, the UI's partition pages
load slowly), and on SQLite everything shares one file and one writer: the lead window must
keep the count under the limit (SALESAGENT_SQLITE_PARTITION_LIMIT). `salesagent doctor`
warns from WARN_SHARE of it, with the window that would keep it there at the current rate.
Postgres takes far more and is not checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from dagster import DagsterInstance
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from sqlalchemy.orm import Session

from salesagent_dagster.services.run_tags import SUBMISSIONS_PARTITIONS_NAME
from salesagent_dagster.store import submission_keys
from salesagent_dagster.store.models import utc_now

WARN_SHARE = 0.8
RATE_WINDOW = timedelta(days=30)  # the lead rate is the last 30 days' submissions


@dataclass(frozen=True)
class PartitionCapacity:
    partitions: int
    limit: int
    sqlite: bool
    leads_per_day: float

    @property
    def share(self) -> float:
        return self.partitions / self.limit

    @property
    def near_limit(self) -> bool:
        return self.sqlite and self.share >= WARN_SHARE

    @property
    def over_limit(self) -> bool:
        return self.sqlite and self.partitions >= self.limit

    @property
    def lead_days_allowed(self) -> int | None:
        """The longest lead window that keeps the count under WARN_SHARE of the limit at
        the current rate; None when no leads came in lately."""
        return lead_window_for(self.limit, self.leads_per_day)


def lead_window_for(limit: int, leads_per_day: float, share: float = WARN_SHARE) -> int | None:
    """Days of leads an instance may keep to stay under `share` of `limit` partitions."""
    if leads_per_day <= 0:
        return None
    return max(1, math.floor(limit * share / leads_per_day))


def partition_capacity(
    instance: DagsterInstance, session: Session, limit: int
) -> PartitionCapacity:
    """The instance's lead partitions against `limit`, and the app DB's recent lead rate."""
    partitions = len(instance.get_dynamic_partitions(SUBMISSIONS_PARTITIONS_NAME))
    recent = len(submission_keys.keys_received_since(session, utc_now() - RATE_WINDOW))
    return PartitionCapacity(
        partitions=partitions,
        limit=limit,
        sqlite=is_sqlite_instance(instance),
        leads_per_day=recent / RATE_WINDOW.days,
    )


def is_sqlite_instance(instance: DagsterInstance) -> bool:
    """Dynamic partitions live in the event log storage: SQLite's (the embedded instance,
    plain or consolidated) is the one with a ceiling worth watching."""
    return isinstance(instance.event_log_storage, SqliteEventLogStorage) or type(
        instance.event_log_storage
    ).__name__.startswith("ConsolidatedSqlite")

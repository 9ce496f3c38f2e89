"""What a long history costs the product: with N leads of history in a fresh embedded
instance (SQLite, the repo's dagster.yaml) and app DB, time one `hubspot_submissions`
sensor tick, `review list`, a retention pass (dry run and real) and the query the Dagster
UI's asset partitions page makes, against a `dagster-webserver` on that instance.

What is generated, and how:
- the app DB: N leads of funnel history over 180 days (warehouse_bench.generate_history,
  bulk inserts), every submission dispatched, as after its run;
- Dagster: N dynamic partitions (`instance.add_dynamic_partitions`, in chunks), one
  finished `process_lead` run per lead tagged as the sensor tags it, and a materialization
  of each of the run's five assets per partition in the cross-run event index. The runs and
  events are written in bulk with the storages' own row builders (`_get_run_insertion_values`,
  `_event_to_row`): through the public API each costs a transaction (~35 ms for a run, ~40 ms
  for an event, ~0.6 s for a run's first event, which creates its SQLite shard, measured on
  this loaded 2-core box), so 100,000 leads would take hours. The rows are the same.
- Not generated: the per-run event shards (SQLite keeps one file per run) except for the
  RETENTION_SAMPLE oldest leads, which get real ones through `store_event`. Retention reads
  and deletes each expired run's shard, so it is timed on those leads (the window is put
  just past them) and given per lead; a nightly pass expires about a day of leads.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import requests
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    build_sensor_context,
)
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.runs.schema import RunsTable, RunTagsTable
from dagster._serdes import serialize_value
from sqlalchemy import select, update

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.bench_daemon import app_db_url, bench_home, running_webserver
from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.sandbox_stack import running_sandbox
from salesagent_dagster.local.warehouse_bench import generate_history
from salesagent_dagster.services.privacy.retention import apply_retention
from salesagent_dagster.services.privacy.retention_settings import retention_from_env
from salesagent_dagster.services.run_tags import (
    PARTITION_TAG,
    RUN_KEY_TAG,
    SUBMISSIONS_PARTITIONS_NAME,
)
from salesagent_dagster.settings import environment_overridden
from salesagent_dagster.store.database import dispose_engine, session_scope
from salesagent_dagster.store.models import Submission

LEAD_JOB = "process_lead"
SENSOR_TAG = "dagster/sensor_name"
LEAD_ASSETS = ("lead", "enrichment", "draft", "send_decision", "sent_email")
CHUNK = 5_000
RETENTION_SAMPLE = 40
UI_REPEATS = 3
# What the asset page's Partitions tab asks for (the partition keys, then their statuses and
# counts): one query here, as the webserver answers it.
PARTITIONS_QUERY = """
query AssetPartitions($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      partitionKeysByDimension { name partitionKeys }
      partitionStats { numMaterialized numPartitions numFailed numMaterializing }
      assetPartitionStatuses {
        __typename
        ... on DefaultPartitionStatuses {
          materializedPartitions failedPartitions unmaterializedPartitions
          materializingPartitions
        }
      }
    }
  }
}
"""


@dataclass
class HistoryFigures:
    leads: int
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    ui_seconds: list[float] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A human table, then the lines a script reads (`history <what> X s`)."""
        s, c = self.seconds, self.counts
        per_lead = s["retention real"] / max(1, c["retention expired"])
        daily = self.leads / 180  # the generated history spans 180 days
        rows = [
            f"generated: {self.leads:,} leads in {s['generate app rows']:.1f} s (app rows), "
            f"{s['generate partitions']:.1f} s (partitions), {s['generate runs']:.1f} s (runs), "
            f"{s['generate events']:.1f} s ({c['events']:,} materializations), "
            f"{s['generate shards']:.1f} s ({RETENTION_SAMPLE} real run shards)",
            f"sensor tick, nothing new: {s['sensor tick idle']:.2f} s; with one new "
            f"submission: {s['sensor tick new']:.2f} s",
            f"review list: {c['review rows']:,} waiting leads in {s['review list']:.2f} s",
            f"retention dry run: {c['retention expired']} expired leads in "
            f"{s['retention dry']:.2f} s; real pass: {s['retention real']:.2f} s = "
            f"{per_lead:.3f} s per expired lead (a nightly pass at {daily:,.0f} leads/day: "
            f"~{per_lead * daily:.0f} s)",
            f"UI partitions page query ({c['ui partitions']:,} partitions): first "
            f"{self.ui_seconds[0]:.2f} s, then median "
            f"{statistics.median(self.ui_seconds[1:] or self.ui_seconds):.2f} s",
            "",
            f"history {self.leads} sensor tick {s['sensor tick new']:.3f} s",
            f"history {self.leads} review list {s['review list']:.3f} s",
            f"history {self.leads} retention per lead {per_lead:.4f} s",
            f"history {self.leads} retention dry run {s['retention dry']:.3f} s",
            f"history {self.leads} ui partitions {statistics.median(self.ui_seconds):.3f} s",
        ]
        return rows


def run_history_scale_bench(leads: int, review_list: Callable[[], Sequence[Any]]) -> HistoryFigures:
    """`review_list` is what `salesagent review list` computes (the CLI's queue rows)."""
    figures = HistoryFigures(leads)
    with (
        bench_home("salesagent-history-") as home,
        running_sandbox() as stack,
        environment_overridden(_environment(home, stack.env)),
        DagsterInstance.get() as instance,
    ):
        url = app_db_url(home)
        try:
            oldest = _generate(figures, instance, url, leads)
            _time_sensor_tick(figures, instance, stack.hubspot.url)
            figures.seconds["review list"], rows = _timed(review_list)
            figures.counts["review rows"] = len(rows)
            _time_retention(figures, instance, url, oldest)
            with running_webserver(dict(_environment(home, stack.env)), home / "ui.log") as (
                webserver_url,
                _,
            ):
                _time_partitions_page(figures, webserver_url)
        finally:
            dispose_engine(url)
    return figures


def _environment(home: Path, sandbox: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        **sandbox,
        "DAGSTER_HOME": str(home),
        "SALESAGENT_DATABASE_URL": app_db_url(home),
        "SALESAGENT_WAREHOUSE_PATH": str(home / "warehouse.duckdb"),
    }


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


@contextmanager
def _phase(figures: HistoryFigures, name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    figures.seconds[name] = time.perf_counter() - started


def _generate(
    figures: HistoryFigures, instance: DagsterInstance, url: str, leads: int
) -> list[tuple[str, datetime]]:
    """Everything above; the RETENTION_SAMPLE oldest leads (key, received), which have real
    run shards."""
    with _phase(figures, "generate app rows"), session_scope(url) as session:
        generate_history(session, leads, random.Random(leads))  # noqa: S311
        session.execute(update(Submission).values(dispatched_at=Submission.received_at))
    with session_scope(url) as session:
        received = [
            (key, at)
            for key, at in session.execute(
                select(Submission.partition_key, Submission.received_at).order_by(
                    Submission.received_at
                )
            )
        ]
    keys = [key for key, _ in received]
    with _phase(figures, "generate partitions"):
        for start in range(0, len(keys), CHUNK):
            instance.add_dynamic_partitions(
                SUBMISSIONS_PARTITIONS_NAME, keys[start : start + CHUNK]
            )
    run_ids = {key: str(uuid.uuid4()) for key in keys}
    with _phase(figures, "generate runs"):
        _bulk_runs(instance, received, run_ids)
    sample, rest = received[:RETENTION_SAMPLE], received[RETENTION_SAMPLE:]
    with _phase(figures, "generate events"):
        figures.counts["events"] = _bulk_materializations(instance, rest, run_ids)
    with _phase(figures, "generate shards"):
        for key, at in sample:
            for asset in LEAD_ASSETS:
                instance.event_log_storage.store_event(
                    _materialization(run_ids[key], key, asset, at)
                )
    return sample


def _bulk_runs(
    instance: DagsterInstance, received: Sequence[tuple[str, datetime]], run_ids: dict[str, str]
) -> None:
    """One finished run per lead: the rows `add_historical_run` writes (its own builder makes
    the first; the rest differ only in these columns, since it inspects the schema on every
    call, 7 ms here), a chunk a transaction."""
    storage: Any = instance.run_storage
    template: dict[str, Any] | None = None
    for start in range(0, len(received), CHUNK):
        runs, tags = [], []
        for key, at in received[start : start + CHUNK]:
            run = DagsterRun(
                job_name=LEAD_JOB,
                run_id=run_ids[key],
                status=DagsterRunStatus.SUCCESS,
                tags={PARTITION_TAG: key, RUN_KEY_TAG: key, SENSOR_TAG: "hubspot_submissions"},
            )
            template = template or storage._get_run_insertion_values(run, at)
            runs.append(
                {
                    **template,
                    "run_id": run.run_id,
                    "run_body": serialize_value(run),
                    "partition": key,
                    "create_timestamp": at,
                    "start_time": at.timestamp(),
                    "end_time": at.timestamp() + 9,
                }
            )
            tags += [
                {"run_id": run.run_id, "key": k, "value": v}
                for k, v in run.tags_for_storage().items()
            ]
        with storage.connect() as conn:
            conn.execute(RunsTable.insert(), runs)
            conn.execute(RunTagsTable.insert(), tags)


def _bulk_materializations(
    instance: DagsterInstance, received: Sequence[tuple[str, datetime]], run_ids: dict[str, str]
) -> int:
    """Each lead's five materializations in the cross-run index (what the UI's partition
    statuses read), the rows `store_event` writes there; the newest of each asset through
    `store_event` itself, so the asset's own index row is Dagster's."""
    storage: Any = instance.event_log_storage
    count = 0
    for start in range(0, len(received), CHUNK):
        rows = [
            storage._event_to_row(_materialization(run_ids[key], key, asset, at))
            for key, at in received[start : start + CHUNK]
            for asset in LEAD_ASSETS
        ]
        with storage.index_connection() as conn:
            conn.execute(SqlEventLogStorageTable.insert(), rows)
        count += len(rows)
    if received:
        key, at = received[-1]
        for asset in LEAD_ASSETS:
            storage.store_event(_materialization(run_ids[key], key, asset, at))
    return count


def _materialization(run_id: str, key: str, asset: str, at: datetime) -> EventLogEntry:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name=LEAD_JOB,
        step_key=asset,
        event_specific_data=StepMaterializationData(
            AssetMaterialization(asset_key=AssetKey(asset), partition=key)
        ),
    )
    return EventLogEntry(
        error_info=None, level=20, user_message="", run_id=run_id,
        timestamp=at.timestamp() + LEAD_ASSETS.index(asset), step_key=asset,
        job_name=LEAD_JOB, dagster_event=event,
    )  # fmt: skip


def _time_sensor_tick(figures: HistoryFigures, instance: DagsterInstance, hubspot_url: str) -> None:
    definitions = build_definitions()
    sensor = definitions.resolve_sensor_def("hubspot_submissions")

    def tick() -> Any:
        with build_sensor_context(
            instance=instance,
            definitions=definitions,
            sensor_name="hubspot_submissions",
            resources=dict(definitions.resources or {}),
        ) as context:
            return sensor(context)

    tick()  # the first poll stores the emulator's watermark; its imports are warm after
    figures.seconds["sensor tick idle"], _ = _timed(tick)
    add_submission(hubspot_url, {"email": "history-new@bench.example", "firstname": "New"},
                   default_form_id(hubspot_url))  # fmt: skip
    figures.seconds["sensor tick new"], result = _timed(tick)
    figures.counts["sensor run requests"] = len(result.run_requests or [])


def _time_retention(
    figures: HistoryFigures, instance: DagsterInstance, url: str, sample: list[tuple[str, datetime]]
) -> None:
    """The window put just past the sample's newest lead: they, and only they, expire."""
    settings = retention_from_env()
    now = sample[-1][1] + settings.lead_age + timedelta(seconds=1)
    sessions = partial(session_scope, url)
    figures.seconds["retention dry"], report = _timed(
        lambda: apply_retention(sessions, instance, settings, dry_run=True, now=now)
    )
    figures.counts["retention expired"] = report.expired_leads
    figures.seconds["retention real"], _ = _timed(
        lambda: apply_retention(sessions, instance, settings, now=now)
    )


def _time_partitions_page(figures: HistoryFigures, webserver_url: str) -> None:
    variables = {"assetKey": {"path": ["lead"]}}
    for _ in range(UI_REPEATS):
        seconds, answer = _timed(
            lambda: requests.post(
                f"{webserver_url}/graphql",
                json={"query": PARTITIONS_QUERY, "variables": variables},
                timeout=600,
            ).json()
        )
        figures.ui_seconds.append(seconds)
    node = answer["data"]["assetNodeOrError"]
    figures.counts["ui partitions"] = int(node["partitionStats"]["numPartitions"])
    figures.counts["ui materialized"] = int(node["partitionStats"]["numMaterialized"])

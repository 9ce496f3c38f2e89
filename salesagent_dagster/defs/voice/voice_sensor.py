"""`voice_profiles_weekly`: every connected mailbox's voice, refreshed once a week.

Each ISO week every connected mailbox gets one run (run key `voice:<key>:<week>`, so however
often the sensor ticks, a mailbox is learned once that week), and a mailbox connected
mid-week is learned within the hour rather than next week. A mailbox waiting to be
reconnected is skipped and counted in the tick's log, by number only (DESIGN I-6).
"""

import json
from datetime import UTC, datetime

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from salesagent_dagster.defs.voice.voice_asset import (
    VOICE_PARTITIONS_NAME,
    refresh_voice_profiles_job,
    voice_mailboxes_partitions,
)
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.voice_learning import mailboxes_to_learn

VOICE_SENSOR_NAME = "voice_profiles_weekly"


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


@sensor(
    name=VOICE_SENSOR_NAME,
    job=refresh_voice_profiles_job,
    minimum_interval_seconds=3600,
    default_status=DefaultSensorStatus.RUNNING,
    description="Adds a partition per connected mailbox and refreshes its voice profile weekly.",
)
def voice_profiles_weekly(
    context: SensorEvaluationContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> SensorResult:
    week = iso_week(datetime.now(UTC))
    cursor = json.loads(context.cursor) if context.cursor else {}
    requested = set(cursor.get("requested", [])) if cursor.get("week") == week else set()
    found = mailboxes_to_learn(app_store, gmail, outreach)
    connected = [m.partition_key for m in found if m.connected]
    waiting = len(found) - len(connected)
    if waiting:
        context.log.info(f"{waiting} mailbox(es) need reconnecting; their voice is not refreshed")
    known = set(context.instance.get_dynamic_partitions(VOICE_PARTITIONS_NAME))
    new_keys = [key for key in connected if key not in known]
    due = [key for key in connected if key not in requested]
    next_cursor = json.dumps({"week": week, "requested": sorted(requested | set(due))})
    return SensorResult(
        run_requests=[RunRequest(run_key=f"voice:{key}:{week}", partition_key=key) for key in due],
        dynamic_partitions_requests=(
            [voice_mailboxes_partitions.build_add_request(new_keys)] if new_keys else []
        ),
        cursor=next_cursor,
        skip_reason=None if due else f"every connected mailbox was refreshed in {week}",
    )

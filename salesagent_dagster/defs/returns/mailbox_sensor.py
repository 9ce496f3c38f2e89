"""`mailbox_replies`: listens to every mailbox of ours and asks for one `handle_reply` run
per matched message (run_key = the inbound row id, so asking again never makes two runs).

The app DB holds the cursor and the records (services.replies), not Dagster: a message is
recorded and the cursor moved in one commit, then its run is asked for on every tick until
Dagster holds one. Only opaque ids reach Dagster (DESIGN I-6).
"""

from __future__ import annotations

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from salesagent_dagster.defs.returns.engagement_asset import HANDLE_REPLY_JOB
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.replies.listener import listen_to_mailboxes
from salesagent_dagster.services.run_tags import RUN_KEY_TAG
from salesagent_dagster.store import inbound_mail

# A reply is recorded within a minute: the daemon evaluates sensors at most every ~5 s, and
# each tick is one history.list per mailbox, so a short interval costs little.
POLL_INTERVAL_SECONDS = 10


@sensor(
    job_name=HANDLE_REPLY_JOB,
    minimum_interval_seconds=POLL_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Reads new mail in every mailbox of ours (Gmail history), records replies, "
    "auto-replies, bounces and unsubscribes, and requests one handle_reply run per reply.",
)
def mailbox_replies(
    context: SensorEvaluationContext,
    gmail: GmailResource,
    app_store: AppStoreResource,
    outreach: OutreachSettings,
) -> SensorResult:
    report = listen_to_mailboxes(
        gmail,
        app_store,
        hash_salt=outreach.salt,
        auto_reply_delay_days=outreach.auto_reply_delay_days,
    )
    for index, error in enumerate(report.errors.values()):
        context.log.warning(f"mailbox {index + 1}: {error}; will try again next tick")
    recorded = sum(poll.recorded for poll in report.polls)
    if recorded:
        context.log.info(f"recorded {recorded} messages in {report.api_calls} Gmail calls")
    with app_store.session() as session:
        keys = inbound_mail.partition_keys_of(session, report.to_handle)
    running = runs_held(context, [str(i) for i in keys])
    requests = [
        RunRequest(
            run_key=str(inbound_id),
            partition_key=key,
            run_config={"ops": {"engagement": {"config": {"inbound_message_id": inbound_id}}}},
        )
        for inbound_id, key in sorted(keys.items())
        if str(inbound_id) not in running
    ]
    if not requests:
        return SensorResult(skip_reason=f"no new replies ({recorded} messages recorded)")
    return SensorResult(run_requests=requests)


def runs_held(context: SensorEvaluationContext, run_keys: list[str]) -> set[str]:
    """Which of these run keys Dagster already holds a handle_reply run for."""
    if not run_keys:
        return set()
    runs = context.instance.get_runs(
        filters=RunsFilter(job_name=HANDLE_REPLY_JOB, tags={RUN_KEY_TAG: run_keys})
    )
    return {run.tags[RUN_KEY_TAG] for run in runs if RUN_KEY_TAG in run.tags}

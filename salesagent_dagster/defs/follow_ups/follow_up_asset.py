"""`follow_up_email`: one follow-up step of one lead, one materialization per step.

The step number comes in the run config (an int, no PII: DESIGN I-6). A step that went
(sent or drafted) and a step that will never go (skipped or cancelled, with the reason)
are both recorded decisions: a materialization with `step`, `status` and `reason`, and a
successful run (I-4). A step that comes back later (held by the kill switch, over a send
limit, waiting for an auto-reply's return date) is an observation, as held first emails are.

No `from __future__ import annotations` here: Dagster reads the config class from the
annotation at definition time.
"""

import random
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    Config,
    Output,
    RetryRequested,
    asset,
)
from pydantic import Field

from salesagent_dagster.defs.failure_policy import (
    circuit_breakers_for,
    classified_failures,
    external_call_retry_policy,
)
from salesagent_dagster.defs.partitions import submissions_partitions
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.follow_ups import follow_up_gmail, run_step
from salesagent_dagster.services.mailboxes import noting_revoked
from salesagent_dagster.store import voice_profiles

FOLLOW_UP_EMAIL_KEY = AssetKey("follow_up_email")
PACING_MAX_WAITS = 600


class FollowUpStepConfig(Config):
    step: int = Field(ge=1, description="The follow-up step to send: 1 is the first follow-up.")


@asset(
    key=FOLLOW_UP_EMAIL_KEY,
    partitions_def=submissions_partitions,
    group_name="follow_ups",
    kinds={"gmail"},
    retry_policy=external_call_retry_policy,
    # The same pool as the first email's send: at most `pools.default_limit` Gmail calls.
    pool="gmail_send",
    output_required=False,
    description=(
        "A follow-up step in the first email's Gmail thread, through every gate of the first "
        "email; one materialization per step (sent, drafted, skipped or cancelled)."
    ),
)
def follow_up_email(
    context: AssetExecutionContext,
    config: FollowUpStepConfig,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> Iterator[Output[None]]:
    key = context.partition_key
    with classified_failures(), circuit_breakers_for(app_store, "Gmail"):
        rep_gmail = follow_up_gmail(app_store, gmail, key)
        with noting_revoked(app_store, rep_gmail.sender_email):
            outcome = run_step(key, config.step, app_store, rep_gmail, outreach, context.log)
        if outcome.status == "paced":
            raise RetryRequested(
                max_retries=PACING_MAX_WAITS,
                seconds_to_wait=outcome.wait_seconds + random.uniform(0, 0.5),  # noqa: S311
            )
    with app_store.session() as session:
        # The voice the follow-up writer reads (the mailbox's current one), by version only.
        voice_version = voice_profiles.voice_for(session, rep_gmail.sender_email).version
    metadata: dict[str, Any] = {
        "step": config.step,
        "status": str(outcome.status),  # plain text: Dagster's metadata takes no enums
        "reason": outcome.reason,
        "voice_profile_version": voice_version,
    }
    if outcome.is_final:
        yield Output(None, metadata={**metadata, **outcome.metadata})
        return
    context.log_event(
        AssetObservation(asset_key=FOLLOW_UP_EMAIL_KEY, partition=key, metadata=metadata)
    )
    context.log.warning(f"follow-up step {config.step} {outcome.status}: {outcome.reason}")

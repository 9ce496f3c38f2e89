"""`voice_profile`: one rep's writing voice, learned from their Gmail sent folder.

One dynamic partition per mailbox, keyed by an opaque salted hash, never the address
(DESIGN I-6). The metadata is the profile's fields, its version and how many emails it was
read from: nothing the rep wrote. A mailbox whose grant was revoked is noted (it asks to be
reconnected) and keeps its stored profile; the run succeeds, as a decision is not a failure
(I-4). Transient Gmail errors are retried (I-5).
"""

from dagster import (
    AssetExecutionContext,
    DynamicPartitionsDefinition,
    MaterializeResult,
    asset,
    define_asset_job,
    in_process_executor,
)

from salesagent_dagster.defs.failure_policy import classified_failures, external_call_retry_policy
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.voice_learning import (
    RECONNECT_REQUIRED,
    UNKNOWN_MAILBOX,
    learn_mailbox_voice,
)

VOICE_GROUP = "voice"
VOICE_PARTITIONS_NAME = "voice_mailboxes"
voice_mailboxes_partitions = DynamicPartitionsDefinition(name=VOICE_PARTITIONS_NAME)


@asset(
    partitions_def=voice_mailboxes_partitions,
    group_name=VOICE_GROUP,
    kinds={"python", "gmail"},
    retry_policy=external_call_retry_policy,
    description="The rep's voice (greeting, sign-off, contractions, sentence length), learned "
    "from their own sent mail; drafts and follow-ups write in it.",
)
def voice_profile(
    context: AssetExecutionContext,
    app_store: AppStoreResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> MaterializeResult:
    with classified_failures():
        learning = learn_mailbox_voice(app_store, gmail, outreach, context.partition_key)
    if learning.outcome == RECONNECT_REQUIRED:
        context.log.warning("this mailbox needs reconnecting to Gmail; its profile is kept")
    elif learning.outcome == UNKNOWN_MAILBOX:
        context.log.warning("no connected mailbox has this key any more; nothing learned")
    return MaterializeResult(metadata=learning.metadata())


refresh_voice_profiles_job = define_asset_job(
    name="refresh_voice_profiles",
    selection=[voice_profile],
    executor_def=in_process_executor,
    description="Learn one mailbox's voice profile from its sent mail.",
)

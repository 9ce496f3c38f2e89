"""`engagement`: what one recorded reply changed for its lead, materialized once per reply by
the `handle_reply` job. The metadata says the class and the rule, never the text (I-6)."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Config,
    Failure,
    MaterializeResult,
    asset,
    define_asset_job,
    in_process_executor,
)
from pydantic import Field

from salesagent_dagster.defs.failure_policy import (
    circuit_breakers_for,
    classified_failures,
    external_call_retry_policy,
)
from salesagent_dagster.defs.partitions import submissions_partitions
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.services.replies.effects import apply_reply_effects

HANDLE_REPLY_JOB = "handle_reply"


class EngagementConfig(Config):
    inbound_message_id: int = Field(description="The recorded message (an opaque row id).")


@asset(
    partitions_def=submissions_partitions,
    deps=[AssetKey("sent_email")],
    group_name="returns",
    kinds={"hubspot"},
    retry_policy=external_call_retry_policy,
    description=(
        "A reply, auto-reply, bounce or unsubscribe the lead sent back, and its effects: "
        "opt-out, HubSpot incoming email and owner task, known-good; each once."
    ),
)
def engagement(
    context: AssetExecutionContext,
    config: EngagementConfig,
    app_store: AppStoreResource,
    hubspot: HubSpotResource,
) -> MaterializeResult:
    try:
        with classified_failures(), circuit_breakers_for(app_store, "HubSpot"):
            report = apply_reply_effects(
                app_store, hubspot, config.inbound_message_id, context.partition_key
            )
    except LookupError as exc:
        raise Failure(description=str(exc), allow_retries=False) from exc
    return MaterializeResult(
        metadata={
            "inbound_message_id": report.inbound_id,
            "kind": report.kind,
            "reason": report.reason,
            "effects_done": ", ".join(report.done) or "none",
            "effects_already_done": ", ".join(report.already) or "none",
            **{f"{name}_id": value for name, value in report.hubspot_ids.items()},
        }
    )


handle_reply_job = define_asset_job(
    name=HANDLE_REPLY_JOB,
    selection=[engagement],
    executor_def=in_process_executor,
    description="One recorded reply's effects (config: ops.engagement.config.inbound_message_id).",
)

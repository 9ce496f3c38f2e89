"""`erase_person`: erasure from the Launchpad, for operators who work in the Dagster UI.

The trade-off: Dagster stores a run's config, so this run's config holds the address it was
asked to erase, against DESIGN I-6. What keeps that short-lived: the op never logs or
records the address (only its salted hash and counts); `delete_erasure_runs` deletes the run,
its config and events as soon as it finishes; the nightly retention pass deletes any that
sensor missed. Until then the address sits in the run storage only. `salesagent erase`,
which takes the address on the terminal and never touches run config, is the primary path.
"""

from dagster import (
    Config,
    DagsterRunStatus,
    DefaultSensorStatus,
    OpExecutionContext,
    Output,
    RunStatusSensorContext,
    job,
    op,
    run_status_sensor,
)
from pydantic import Field

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.privacy.dagster_records import delete_runs
from salesagent_dagster.services.privacy.erasure_wiring import erase_with

# Where this very run's config is kept: the one place the address is expected until the
# run is deleted.
_RUN_STORAGE_MARKERS = ("runs.db", "runs.run_body", "storage database runs.")


class ErasePersonConfig(Config):
    email: str = Field(description="The person's address. Only its salted hash is recorded.")
    archive_hubspot_engagements: bool = False
    actor: str = Field(default="launchpad", description="Who asked, for the audit log.")


@op(description="Erase a person everywhere and verify the address is found nowhere else.")
def erase_person_everywhere(
    context: OpExecutionContext,
    config: ErasePersonConfig,
    app_store: AppStoreResource,
    gmail: GmailResource,
    hubspot: HubSpotResource,
    outreach: OutreachSettings,
) -> Output[None]:
    report, verification = erase_with(
        config.email,
        context.instance,
        app_store=app_store,
        gmail=gmail,
        hubspot=hubspot if config.archive_hubspot_engagements else None,
        hash_salt=outreach.salt,
        actor=config.actor,
    )
    elsewhere = [f for f in verification.findings if not f.startswith(_RUN_STORAGE_MARKERS)]
    elsewhere = [f for f in elsewhere if not any(m in f for m in _RUN_STORAGE_MARKERS)]
    context.log.info(f"erased subject {report.subject_hash[:12]}: {report.leads} leads")
    if elsewhere:
        raise RuntimeError(f"erasure incomplete: address still in {elsewhere}")
    return Output(None, metadata={**report.as_dict(), "verified_elsewhere_clean": True})


@job(description="GDPR erasure of one person (prefer `salesagent erase`: see the docstring).")
def erase_person() -> None:
    erase_person_everywhere()


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[erase_person],
    name="delete_erasure_runs",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Deletes finished erase_person runs: their config holds the erased address.",
)
def delete_erasure_runs(context: RunStatusSensorContext) -> None:
    delete_runs(context.instance, [context.dagster_run.run_id])

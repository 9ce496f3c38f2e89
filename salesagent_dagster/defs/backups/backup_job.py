"""The daily app DB backup as a Dagster job and schedule: the backup, its verification (a
restore into a scratch database, rows counted) and the pruning, with the figures as run
metadata. A failed backup is a failed run, so the dead-letter report and alerts see it."""

from dagster import (
    DefaultScheduleStatus,
    OpExecutionContext,
    Output,
    ScheduleDefinition,
    job,
    op,
)

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.services.app_db_backups import archive_from_settings, back_up_app_db
from salesagent_dagster.settings import load_settings


@op(description="Back up the app DB, restore it into a scratch DB to count its rows, archive it.")
def back_up_and_verify(context: OpExecutionContext, app_store: AppStoreResource) -> Output[None]:
    settings = load_settings()
    archive = archive_from_settings(settings)
    report = back_up_app_db(app_store.database_url, archive, settings.backup_keep_days)
    context.log.info(
        f"backup {report.name} verified ({sum(report.rows.values())} rows in "
        f"{len(report.rows)} tables) and archived to {report.where}; {len(report.pruned)} pruned"
    )
    return Output(None, metadata={**report.as_metadata(), "keep_days": settings.backup_keep_days})


@job(
    name="back_up_app_db",
    description="The app DB backed up, proven restorable and archived (SALESAGENT_BACKUP_*).",
)
def back_up_app_db_job() -> None:
    back_up_and_verify()


def backup_schedule() -> ScheduleDefinition:
    """Daily by default (SALESAGENT_BACKUP_CRON, UTC)."""
    return ScheduleDefinition(
        name="backup_app_db",
        job=back_up_app_db_job,
        cron_schedule=load_settings().backup_cron,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
    )

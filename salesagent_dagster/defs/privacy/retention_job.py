"""The nightly retention pass as a Dagster job, with its counts as run metadata."""

from dagster import (
    Config,
    DefaultScheduleStatus,
    OpExecutionContext,
    Output,
    ScheduleDefinition,
    job,
    op,
)

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.services.privacy.retention import apply_retention
from salesagent_dagster.services.privacy.retention_settings import retention_from_env


class RetentionConfig(Config):
    dry_run: bool = False  # count what would be removed, remove nothing


@op(description="Blank old draft bodies; delete expired leads with their runs and partitions.")
def apply_retention_windows(
    context: OpExecutionContext, config: RetentionConfig, app_store: AppStoreResource
) -> Output[None]:
    settings = retention_from_env()
    report = apply_retention(app_store.session, context.instance, settings, dry_run=config.dry_run)
    context.log.info(
        f"retention{' (dry run)' if config.dry_run else ''}: {report.expired_leads} expired "
        f"leads, {report.skipped_running} skipped while running"
    )
    windows = {
        "draft_body_days": settings.draft_body_days,
        "draft_days": settings.draft_days,
        "lead_days": settings.lead_days,
        "audit_days": settings.audit_days,
    }
    return Output(None, metadata={**windows, **report.as_metadata()})


@job(description="Retention: personal data kept only as long as SALESAGENT_RETENTION_* allow.")
def enforce_retention() -> None:
    apply_retention_windows()


def retention_schedule() -> ScheduleDefinition:
    """Nightly by default (SALESAGENT_RETENTION_CRON, SALESAGENT_RETENTION_TIMEZONE)."""
    settings = retention_from_env()
    return ScheduleDefinition(
        name="nightly_retention",
        job=enforce_retention,
        cron_schedule=settings.cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
    )

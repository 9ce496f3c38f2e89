"""The backups folder's definitions: the daily app DB backup, verified and archived."""

from dagster import Definitions

from salesagent_dagster.defs.backups.backup_job import back_up_app_db_job, backup_schedule


def defs() -> Definitions:
    return Definitions(jobs=[back_up_app_db_job], schedules=[backup_schedule()])

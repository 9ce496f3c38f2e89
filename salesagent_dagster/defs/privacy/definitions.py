"""The privacy folder's definitions: GDPR erasure, the nightly retention, and the sensor that
deletes erasure runs (their config held the address) once they end."""

from dagster import Definitions

from salesagent_dagster.defs.privacy.erasure_job import delete_erasure_runs, erase_person
from salesagent_dagster.defs.privacy.retention_job import enforce_retention, retention_schedule


def defs() -> Definitions:
    return Definitions(
        jobs=[enforce_retention, erase_person],
        schedules=[retention_schedule()],
        sensors=[delete_erasure_runs],
    )

"""The voice folder's definitions: the `voice_profile` asset (a partition per mailbox), the
job that refreshes one, and the weekly sensor that requests it for every connected mailbox."""

from dagster import Definitions

from salesagent_dagster.defs.voice.voice_asset import refresh_voice_profiles_job, voice_profile
from salesagent_dagster.defs.voice.voice_sensor import voice_profiles_weekly


def defs() -> Definitions:
    return Definitions(
        assets=[voice_profile], jobs=[refresh_voice_profiles_job], sensors=[voice_profiles_weekly]
    )

"""The controls folder's definitions: the kill switch, flipped from the Launchpad."""

from dagster import Definitions

from salesagent_dagster.defs.controls.kill_switch_job import set_kill_switch


def defs() -> Definitions:
    return Definitions(jobs=[set_kill_switch])

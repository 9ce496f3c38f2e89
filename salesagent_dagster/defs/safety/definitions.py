"""The safety folder's definitions: the safety rules as asset checks on `draft`."""

from dagster import Definitions

from salesagent_dagster.defs.safety.draft_checks import draft_safety_checks


def defs() -> Definitions:
    return Definitions(asset_checks=[draft_safety_checks])

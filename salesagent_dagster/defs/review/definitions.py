"""The review folder's definitions: an operator's decision as an asset, and the job that
records it and sends through the same gated path."""

from dagster import Definitions

from salesagent_dagster.defs.review.jobs import review_lead_job
from salesagent_dagster.defs.review.operator_review import operator_review


def defs() -> Definitions:
    return Definitions(assets=[operator_review], jobs=[review_lead_job])

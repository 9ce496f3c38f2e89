"""One dynamic partition per form submission, keyed by an opaque id (DESIGN I-6)."""

from dagster import DynamicPartitionsDefinition

from salesagent_dagster.services.run_tags import SUBMISSIONS_PARTITIONS_NAME

submissions_partitions = DynamicPartitionsDefinition(name=SUBMISSIONS_PARTITIONS_NAME)

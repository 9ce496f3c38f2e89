"""One dynamic partition per form submission, keyed by an opaque id (DESIGN I-6)."""

from dagster import DynamicPartitionsDefinition

submissions_partitions = DynamicPartitionsDefinition(name="submissions")

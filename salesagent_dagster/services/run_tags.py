"""Names Dagster runs are found by: the leads' partitions definition and the tags Dagster sets.

Plain strings, so the services read runs without importing the definitions that make them;
`defs.partitions` builds the partitions definition from the same name.
"""

SUBMISSIONS_PARTITIONS_NAME = "submissions"
PARTITION_TAG = "dagster/partition"
RUN_KEY_TAG = "dagster/run_key"

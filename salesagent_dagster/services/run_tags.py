"""Names Dagster runs are found by: the leads' partitions definition and the tags Dagster sets.

Plain strings, so the services read runs without importing the definitions that make them;
`defs.partitions` builds the partitions definition from the same name.
"""

SUBMISSIONS_PARTITIONS_NAME = "submissions"
PARTITION_TAG = "dagster/partition"
RUN_KEY_TAG = "dagster/run_key"
ROOT_RUN_ID_TAG = "dagster/root_run_id"  # on every re-execution: the run it descends from

LEAD_JOB = "process_lead"
# Several leads per run when a backlog exists (defs/leads/lead_batch.py); every run of one
# batch (the first, its retries and re-executions) carries the batch's key in BATCH_TAG.
BATCH_JOB = "process_lead_batch"
BATCH_TAG = "salesagent/batch"
BATCHED_LEAD_OP = "process_batched_lead"

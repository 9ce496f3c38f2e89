"""Retention schedule and job, and the `erase_person` job: thin over `salesagent_dagster.privacy`."""

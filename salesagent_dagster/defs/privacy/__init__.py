"""Retention schedule and job, and the `erase_person` job: thin over `services.privacy`."""

"""Dagster resources: the seams to HubSpot, Gmail, the app DB and the send settings."""

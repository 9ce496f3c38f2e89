"""Keeping personal data only as long as it is needed: retention, erasure, export.

Plain Python over the app DB (through `store`), the Dagster instance and the external
services; the Dagster job, schedule and CLI commands in `defs/privacy/` and
`cli/privacy_commands.py` are thin.
"""

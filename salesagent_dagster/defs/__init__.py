"""Dagster definitions, one folder per concern; `definitions.py` merges them."""

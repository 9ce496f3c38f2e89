"""The application layer: use cases that the Dagster definitions, the CLI and the edge share.

Plain Python over `domain`, `store`, `resources` and `settings`; nothing here imports `defs`,
`cli` or `local`, so each entry point stays a few lines that call in here.
"""

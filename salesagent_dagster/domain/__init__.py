"""Pure business logic: no Dagster, no database, no network. Unit-tested in milliseconds."""

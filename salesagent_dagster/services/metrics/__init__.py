"""The operational figures behind `/metrics` and `salesagent status`: read once from the app
DB and the Dagster instance, then rendered as Prometheus families or as a terminal table."""

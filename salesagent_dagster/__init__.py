"""salesagent-dagster: inbound demo requests answered from the rep's Gmail, run by Dagster."""

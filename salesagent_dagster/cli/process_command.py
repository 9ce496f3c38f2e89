"""`salesagent process --once`: one sensor tick, its runs to completion, then the outcomes."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click
from dagster import DagsterInstance

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.local.instance import start_local_instance
from salesagent_dagster.local.one_tick import run_one_tick
from salesagent_dagster.services.lead_outcomes import LeadOutcome, lead_outcomes, submissions_since
from salesagent_dagster.settings import resources_from_env


@click.command()
@click.option("--once", is_flag=True, required=True, help="One tick, then exit (the only mode).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable outcomes, no PII.")
def process(once: bool, as_json: bool) -> None:
    """Poll HubSpot once and process every new lead in this process."""
    click.echo(process_once_report(as_json))


def process_once_report(as_json: bool) -> str:
    from salesagent_dagster.definitions import build_definitions

    start_local_instance()
    definitions = build_definitions()
    app_store = resources_from_env().app_store
    with DagsterInstance.get() as instance:
        tick = run_one_tick(instance, definitions)
        with app_store.session() as session:
            keys = list(
                dict.fromkeys(submissions_since(session, tick.started_at) + list(tick.run_ids))
            )
            outcomes = lead_outcomes(session, instance, keys, tick.run_ids)
    if as_json:
        return json.dumps({"leads": [o.as_dict() for o in outcomes]}, indent=2)
    if not outcomes:
        return f"no new submissions ({tick.skip_reason or 'nothing to do'})"
    return format_outcomes(outcomes)


def format_outcomes(outcomes: Sequence[LeadOutcome]) -> str:
    """One row per lead; long reasons are cut to 70 characters."""
    return format_table(
        ("partition", "status", "run", "decision", "conf", "send", "reason"),
        [
            (
                o.partition_key,
                o.status,
                o.run_status,
                o.decision,
                f"{o.confidence:.2f}" if o.confidence is not None else "-",
                o.send_state,
                o.reason if len(o.reason) <= 70 else o.reason[:69] + "…",
            )
            for o in outcomes
        ],
    )

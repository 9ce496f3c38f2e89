"""`salesagent process --once`: one tick of every sensor (intake, mailbox, follow-ups), their
runs to completion, then each lead's outcome."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import click
from dagster import DagsterInstance

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.local.instance import start_local_instance
from salesagent_dagster.local.one_tick import EVERY_SENSOR, run_one_tick
from salesagent_dagster.services.lead_outcomes import LeadOutcome, lead_outcomes, submissions_since
from salesagent_dagster.settings import resources_from_env


@click.command()
@click.option("--once", is_flag=True, required=True, help="One tick, then exit (the only mode).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable outcomes, no PII.")
def process(once: bool, as_json: bool) -> None:
    """One tick of intake, mailbox and follow-ups, every run they ask for done in this process."""
    click.echo(process_once_report(as_json))


@dataclass(frozen=True)
class ProcessedTick:
    report: str
    partition_keys: list[str]  # the leads reported, in the report's order


def process_once_report(as_json: bool) -> str:
    return process_once(as_json).report


def process_once(
    as_json: bool, also_report: Sequence[str] = (), sensor_names: Sequence[str] = EVERY_SENSOR
) -> ProcessedTick:
    """One tick of the sensors (all, by default); reports the leads it touched, and
    `also_report`."""
    from salesagent_dagster.definitions import build_definitions

    start_local_instance()
    definitions = build_definitions()
    app_store = resources_from_env().app_store
    with DagsterInstance.get() as instance:
        tick = run_one_tick(instance, definitions, sensor_names)
        with app_store.session() as session:
            keys = list(
                dict.fromkeys(
                    submissions_since(session, tick.started_at)
                    + tick.partition_keys
                    + list(also_report)
                )
            )
            outcomes = lead_outcomes(session, instance, keys, tick.run_ids)
    if as_json:
        report = json.dumps({"leads": [o.as_dict() for o in outcomes]}, indent=2)
    elif not outcomes:
        report = f"no new submissions ({tick.skip_reason or 'nothing to do'})"
    else:
        report = format_outcomes(outcomes)
    return ProcessedTick(report, keys)


def format_outcomes(outcomes: Sequence[LeadOutcome]) -> str:
    """One row per lead; long reasons are cut to 60 characters."""
    return format_table(
        ("partition", "status", "run", "decision", "conf", "send", "came back", "f/u", "reason"),
        [
            (
                o.partition_key,
                o.status,
                o.run_status,
                o.decision,
                f"{o.confidence:.2f}" if o.confidence is not None else "-",
                o.send_state,
                o.engagement,
                o.follow_ups_sent,
                o.reason if len(o.reason) <= 60 else o.reason[:59] + "…",
            )
            for o in outcomes
        ],
    )

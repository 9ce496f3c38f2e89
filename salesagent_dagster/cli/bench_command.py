"""`salesagent bench`: measure speed-to-lead on the daemon path and print the figures."""

from __future__ import annotations

import click

from salesagent_dagster.local.fault_bench import format_fault_figures, run_fault_bench
from salesagent_dagster.local.rule_precision import load_cases, precision_report
from salesagent_dagster.local.speed_bench import format_figures, run_bench


@click.command()
@click.option("--latency-leads", default=20, show_default=True, help="Leads sent one by one.")
@click.option("--burst", default=200, show_default=True, help="Leads submitted at once.")
@click.option("--faults", is_flag=True, help="Send-path soak under injected faults instead.")
@click.option("--rules", is_flag=True, help="Precision/recall of the safety rules instead.")
@click.option("--leads", default=1000, show_default=True, help="With --faults: how many leads.")
@click.option(
    "--fault-share", default=0.10, show_default=True, help="With --faults: share faulted."
)
def bench(
    latency_leads: int, burst: int, faults: bool, rules: bool, leads: int, fault_share: float
) -> None:
    """p50/p95 latency and burst drain rate on the real daemon path, or (--faults) the send
    path under faults: duplicates, lost leads, dead letters, deliveries/min, or (--rules) each
    safety rule's precision and recall on the labelled test set."""
    if rules:
        click.echo(precision_report(load_cases()))
        return
    if faults:
        click.echo(
            f"{leads} leads, {fault_share:.0%} with a fault, batches alternating real sends and "
            "Gmail drafts against the emulators..."
        )
        click.echo(format_fault_figures(run_fault_bench(leads, fault_share)))
        return
    click.echo("starting the emulators and dagster-daemon (a few minutes)...")
    click.echo(format_figures(run_bench(latency_leads=latency_leads, burst=burst)))

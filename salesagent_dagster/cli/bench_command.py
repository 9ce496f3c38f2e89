"""`salesagent bench`: measure speed-to-lead on the daemon path and print the figures."""

from __future__ import annotations

import click

from salesagent_dagster.local.speed_bench import format_figures, run_bench


@click.command()
@click.option("--latency-leads", default=20, show_default=True, help="Leads sent one by one.")
@click.option("--burst", default=200, show_default=True, help="Leads submitted at once.")
def bench(latency_leads: int, burst: int) -> None:
    """p50/p95 latency and burst drain rate, on the real daemon, sensor and run queue."""
    click.echo("starting the emulators and dagster-daemon (a few minutes)...")
    click.echo(format_figures(run_bench(latency_leads=latency_leads, burst=burst)))

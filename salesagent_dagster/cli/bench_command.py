"""`salesagent bench`: measure speed-to-lead on the daemon path and print the figures."""

from __future__ import annotations

from typing import Any

import click

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.domain.experiment_scoring import ScoringRule
from salesagent_dagster.domain.replies import RuleClassifier
from salesagent_dagster.domain.replies.labelled_set import load_labelled
from salesagent_dagster.domain.replies.scoring import score
from salesagent_dagster.local import experiment_simulation, run_profile
from salesagent_dagster.local.fault_bench import format_fault_figures, run_fault_bench
from salesagent_dagster.local.mailbox_bench import measure_mailbox_tick
from salesagent_dagster.local.processes import exit_on_sigterm
from salesagent_dagster.local.reply_latency_bench import run_reply_latency_bench
from salesagent_dagster.local.rule_precision import load_cases, precision_report
from salesagent_dagster.local.speed_bench import (
    floor_lines,
    floor_script,
    format_figures,
    run_bench,
    run_floor,
    script_lines,
)
from salesagent_dagster.local.warehouse_bench import HEADERS, machine_line, run_warehouse_bench


@click.command()
@click.option("--latency-leads", default=20, show_default=True, help="Leads sent one by one.")
@click.option("--burst", default=200, show_default=True, help="Leads submitted at once.")
@click.option("--faults", is_flag=True, help="Send-path soak under injected faults instead.")
@click.option("--rules", is_flag=True, help="Precision/recall of the safety rules instead.")
@click.option("--replies", is_flag=True, help="Precision/recall of the reply classifier instead.")
@click.option("--leads", default=1000, show_default=True, help="With --faults: how many leads.")
@click.option(
    "--fault-share", default=0.10, show_default=True, help="With --faults: share faulted."
)
@click.option(
    "--reply-latency-leads",
    default=10,
    show_default=True,
    help="With --replies: leads whose replies are timed on the daemon path (0 skips it).",
)
@click.option("--warehouse", is_flag=True, help="Warehouse export and dbt build cost instead.")
@click.option(
    "--run-profile",
    "run_profile_floor",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[FLOOR_DIR]",
    help="Where one lead's run worker spends its CPU instead; with the floor project's "
    "directory, the floor's run worker beside it.",
)
@click.option(
    "--experiments",
    is_flag=True,
    help="A/B scoring on simulated outcomes instead: power and false-winner rate.",
)
@click.option(
    "--repetitions",
    default=experiment_simulation.REPETITIONS,
    show_default=True,
    help="With --experiments: seeded repetitions per figure.",
)
@click.option(
    "--warehouse-leads",
    default="10000,100000",
    show_default=True,
    help="With --warehouse: lead counts of generated history, comma-separated.",
)
@click.option(
    "--floor/--no-floor",
    default=True,
    show_default=True,
    help="Run the shared Dagster floor bench (tuned) first, when ../shared/perf is there.",
)
@click.option(
    "--pushed/--no-pushed",
    default=True,
    show_default=True,
    help="Time pushed submissions too (webserver + edge + the emulator's workflow webhook).",
)
@click.option(
    "--history",
    default="",
    help="Leads of generated history, comma-separated (e.g. 10000,100000): time the sensor "
    "tick, review list, retention and the UI's partition view over each instead.",
)
def bench(**options: Any) -> None:
    """p50/p95 latency and burst drain rate on the real daemon path, or (--faults) the send
    path under faults: duplicates, lost leads, dead letters, deliveries/min, or (--rules) each
    safety rule's precision and recall on the labelled test set, or (--replies) the reply
    classifier's per-class precision and recall on its labelled replies, or (--warehouse) the
    warehouse export, dbt build and incremental export over generated history, or
    (--experiments) the A/B scoring's power and false-winner rate on simulated outcomes."""
    # SIGTERM as Ctrl-C: the daemon's process group and the emulators are stopped on the way out.
    with exit_on_sigterm():
        _measure(**options)


def _measure(
    latency_leads: int,
    burst: int,
    faults: bool,
    rules: bool,
    replies: bool,
    leads: int,
    fault_share: float,
    reply_latency_leads: int,
    warehouse: bool,
    warehouse_leads: str,
    experiments: bool,
    repetitions: int,
    run_profile_floor: str | None,
    floor: bool,
    pushed: bool,
    history: str,
) -> None:
    if run_profile_floor is not None:
        click.echo(run_profile.profile_report(run_profile_floor or None))
        return
    if experiments:
        print_experiment_simulation(repetitions)
        return
    if history:
        for count in [int(n) for n in history.split(",") if n.strip()]:
            print_history_scale(count)
        return
    if warehouse:
        counts = [int(n) for n in warehouse_leads.split(",") if n.strip()]
        figures = [run_warehouse_bench(n).row() for n in counts]
        click.echo(format_table(HEADERS, figures))
        click.echo(machine_line())
        return
    if replies:
        print_reply_classifier_scores()
        click.echo("")
        click.echo(measure_mailbox_tick().format())
        if reply_latency_leads > 0:
            click.echo("")
            click.echo("starting the emulators and dagster-daemon for reply latency...")
            click.echo(run_reply_latency_bench(reply_latency_leads).format())
        return
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
    print_speed_bench(latency_leads, burst, floor, pushed)


def print_speed_bench(latency_leads: int, burst: int, floor: bool, pushed: bool) -> None:
    """The floor first (the same sitting, the same machine), then ours, then the lines a
    script reads: ours, the floor's and the ratios."""
    script = floor_script() if floor else None
    floor_figures = None
    if floor and script is None:
        click.echo("no ../shared/perf/floor_bench.py here: the floor is not measured")
    if script is not None:
        click.echo(f"the Dagster floor first: {script} --variants tuned (about 10 min)...")
        try:
            floor_figures = run_floor(script, latency_leads, burst)
        except RuntimeError as exc:
            click.echo(f"floor: {exc}")
    click.echo("starting the emulators, dagster-daemon, webserver and edge (a few minutes)...")
    figures = run_bench(latency_leads=latency_leads, burst=burst, pushed=pushed)
    click.echo(format_figures(figures))
    click.echo("")
    lines = script_lines(figures)
    if floor_figures is not None:
        lines += floor_lines(figures, floor_figures)
    for line in lines:
        click.echo(line)


def print_history_scale(leads: int) -> None:
    from salesagent_dagster.cli.review_commands import queue_rows
    from salesagent_dagster.local.history_scale_bench import run_history_scale_bench

    click.echo(f"generating {leads:,} leads of history into a fresh instance...")
    for line in run_history_scale_bench(leads, review_list=queue_rows).lines():
        click.echo(line)


def print_reply_classifier_scores() -> None:
    """The `--replies` classifier section: one row per class, then every miss.

    One section of `--replies`; a later one (the mailbox tick's cost) is printed after it."""
    cases = load_labelled()
    card = score(RuleClassifier(), cases)
    click.echo(f"reply classifier (rules): {card.total} labelled replies")
    click.echo("")
    rows = [
        (c.kind, f"{c.precision:.2f}", f"{c.recall:.2f}", c.support, c.predicted)
        for c in card.classes
    ]
    click.echo(format_table(("class", "precision", "recall", "support", "predicted"), rows))
    click.echo("")
    click.echo(f"accuracy {card.accuracy:.3f}, {len(card.misses)} misclassified")
    for miss in card.misses:
        click.echo(f"  {miss.file}: expected {miss.expected}, got {miss.got} ({miss.reason})")
    click.echo(f"{len(card.fact_misses)} wrong facts on correctly classified replies")
    for miss in card.fact_misses:
        click.echo(f"  {miss.file}: {miss.reason} expected {miss.expected}, got {miss.got}")


def print_experiment_simulation(repetitions: int) -> None:
    """The `--experiments` figures: winners by sample size, then the harm stop's."""
    rule = ScoringRule()  # the policy file's defaults
    winners, harm = experiment_simulation.run_experiment_simulation(rule, repetitions=repetitions)
    click.echo(experiment_simulation.describe_setup(rule, repetitions))
    click.echo("")
    click.echo(format_table(experiment_simulation.HEADERS, [w.row() for w in winners]))
    click.echo("")
    for line in experiment_simulation.describe_harm(rule, harm):
        click.echo(line)

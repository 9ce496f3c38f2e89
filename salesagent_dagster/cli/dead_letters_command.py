"""`salesagent dead-letters`: failed leads nothing is retrying, and re-queueing them."""

from __future__ import annotations

from collections.abc import Sequence

import click
from dagster import DagsterInstance

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.local.instance import prepare_dagster_home
from salesagent_dagster.services.dead_letters import DeadLetter, dead_letters, requeue


@click.command("dead-letters")
@click.option("--requeue", "requeue_keys", multiple=True, help="Partition key to run again.")
@click.option("--requeue-all", is_flag=True, help="Run every dead letter again.")
def dead_letters_command(requeue_keys: tuple[str, ...], requeue_all: bool) -> None:
    """List leads whose runs failed for good (partition, step, error, attempts, age)."""
    from salesagent_dagster.definitions import build_definitions

    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        letters = dead_letters(instance)
        keys = [d.partition_key for d in letters] if requeue_all else list(requeue_keys)
        if not keys:
            click.echo(format_dead_letters(letters))
            return
        for key, succeeded in requeue(instance, build_definitions(), keys).items():
            click.echo(f"{key}: {'succeeded' if succeeded else 'failed again'}")


def format_dead_letters(letters: Sequence[DeadLetter]) -> str:
    """One row per letter under a header line (no rule under it)."""
    if not letters:
        return "no dead letters"
    return format_table(
        ("partition", "step", "error", "attempts", "age", "run"),
        [
            (d.partition_key, d.step, d.error_class, str(d.attempts), d.age(), d.run_id[:8])
            for d in letters
        ],
        ruled=False,
    )

"""`salesagent`: the command line for operators and for the first five minutes."""

from __future__ import annotations

import click

from salesagent_dagster.cli.backup_commands import backup, restore
from salesagent_dagster.cli.bench_command import bench
from salesagent_dagster.cli.db_commands import db
from salesagent_dagster.cli.dead_letters_command import dead_letters_command
from salesagent_dagster.cli.demo_command import demo
from salesagent_dagster.cli.doctor_command import doctor
from salesagent_dagster.cli.gmail_commands import gmail
from salesagent_dagster.cli.health_command import health
from salesagent_dagster.cli.kill_switch_command import kill_switch
from salesagent_dagster.cli.learner_commands import learner
from salesagent_dagster.cli.operators_commands import operators
from salesagent_dagster.cli.privacy_commands import erase, export, retention
from salesagent_dagster.cli.process_command import process
from salesagent_dagster.cli.report_command import report
from salesagent_dagster.cli.review_commands import review
from salesagent_dagster.cli.sandbox_commands import sandbox, ui
from salesagent_dagster.cli.serve_command import serve
from salesagent_dagster.cli.status_command import status


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Inbound-sales agent: HubSpot demo requests answered from the rep's Gmail."""
    from salesagent_dagster.observability.setup import init_observability

    init_observability()  # addresses redacted from every log line this process writes


for command in (
    demo, process, sandbox, ui, doctor, db, bench, dead_letters_command, gmail, review,
    kill_switch, health, erase, export, retention, backup, restore, serve, report, learner,
    operators,
    status,
):  # fmt: skip
    main.add_command(command)

"""`salesagent learner status|history`: the threshold learner's state and its proposals."""

from __future__ import annotations

import click

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.domain.rule_config import load_learner_config, load_rule_settings
from salesagent_dagster.services.threshold_learning import change_history
from salesagent_dagster.settings import resources_from_env


@click.group()
def learner() -> None:
    """The weekly auto-approve threshold learner ([learner] in the rules file)."""


@learner.command()
def status() -> None:
    """The learner's mode and bounds, and the threshold the rules engine uses now."""
    resources = resources_from_env()
    outreach = resources.outreach
    config = load_learner_config(outreach.rules_file)
    file_threshold = load_rule_settings(outreach.rules_file).auto_approve_threshold
    mode = "off" if not config.enabled else "shadow" if config.shadow else "live"
    click.echo(
        f"learner: {mode}; floor {config.floor:.2f}, ceiling {config.ceiling:.2f}, step "
        f"{config.step:.2f}, minimum {config.min_sample} sends in {config.window_days} days"
    )
    click.echo(f"rules file threshold: {file_threshold:.2f}")
    if outreach.auto_approve_threshold is not None:
        click.echo(
            f"AUTO_APPROVE_THRESHOLD={outreach.auto_approve_threshold:.2f} is set: it wins "
            "over the file and the learner"
        )
    click.echo(f"threshold in use: {outreach.rule_settings().auto_approve_threshold:.2f}")


@learner.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def history(limit: int) -> None:
    """Every weekly proposal, newest first: shadowed or applied, and why."""
    rows = change_history(resources_from_env().app_store, limit)
    if not rows:
        click.echo("no proposals yet: the learner is off, or has not run")
        return
    click.echo(
        format_table(
            ("when (UTC)", "mode", "from", "to", "applied", "sends", "reply rate", "reason"),
            (
                (
                    f"{row['proposed_at']:%Y-%m-%d %H:%M}",
                    row["mode"],
                    f"{row['previous_threshold']:.2f}",
                    f"{row['proposed_threshold']:.2f}",
                    "yes" if row["applied"] else "no",
                    row["figures"].get("sends", ""),
                    f"{row['figures'].get('reply_rate', 0.0):.1%}",
                    row["reason"],
                )
                for row in rows
            ),
        )
    )

"""`salesagent report`: the funnel and the reply rates by ICP bucket from the warehouse's
dbt marts, as tables. No `--since`: the marts are aggregates that carry no submission time,
and a window computed here would be a second funnel beside dbt's."""

from __future__ import annotations

import click

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.services.warehouse.report import MartsNotBuilt, WarehouseReport


@click.command()
def report() -> None:
    """The funnel and reply rates by ICP bucket, from the analytics warehouse."""
    from salesagent_dagster.services.warehouse.report import read_report

    try:
        click.echo(format_report(read_report()))
    except MartsNotBuilt as error:
        raise click.ClickException(str(error)) from None


def format_report(report: WarehouseReport) -> str:
    funnel = format_table(
        ["stage", "leads", "share of submitted"],
        [(s.stage, s.leads, _percent(s.share_of_submitted)) for s in report.funnel],
    )
    rates = format_table(
        ["ICP bucket", "sends", "reply rate", "positive", "unsubscribe", "bounce"],
        [
            (
                r.icp_bucket, r.sends, _percent(r.reply_rate), _percent(r.positive_reply_rate),
                _percent(r.unsubscribe_rate), _percent(r.bounce_rate),
            )
            for r in report.rates_by_icp_bucket
        ],
    )  # fmt: skip
    no_sends = "" if report.rates_by_icp_bucket else "\n(no emails delivered yet)"
    return f"Funnel\n{funnel}\n\nReply rates by ICP bucket (per delivered email)\n{rates}{no_sends}"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"

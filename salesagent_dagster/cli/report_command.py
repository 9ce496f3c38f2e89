"""`salesagent report [--since 30d] [--png DIR]`: the funnel, reply rates by ICP bucket with
their 95% intervals, the speed-to-lead histogram and the experiment arms, from the
warehouse's dbt marts, as tables; with --png, the same as four charts."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import click

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.services.warehouse.report import MartsNotBuilt, WarehouseReport

WINDOW_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class WindowType(click.ParamType):
    """A window back from now: a whole number and a unit, h, d or w (`30d`, `12h`, `2w`)."""

    name = "window"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, timedelta):
            return value
        match = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", str(value).lower())
        if not match or int(match.group(1)) == 0:
            self.fail(f"{value!r} is not a window: write e.g. 30d, 12h or 2w", param, ctx)
        return timedelta(**{WINDOW_UNITS[match.group(2)]: int(match.group(1))})


@click.command()
@click.option(
    "--since", type=WindowType(), default=None,
    help="Only leads submitted in this window back from now (30d, 12h, 2w). Default: all.",
)  # fmt: skip
@click.option(
    "--png", "png_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Also write the four charts as PNG files into this directory.",
)  # fmt: skip
def report(since: timedelta | None, png_dir: Path | None) -> None:
    """The funnel, reply rates, speed to lead and experiment arms, from the warehouse."""
    from salesagent_dagster.services.warehouse.report import read_report

    try:
        result = read_report(since=since)
    except MartsNotBuilt as error:
        raise click.ClickException(str(error)) from None
    click.echo(format_report(result))
    if since is None:
        # Scored all-time, as the experiment_results asset scores them: a window would name
        # winners on a part of the evidence.
        click.echo(f"\n{experiment_verdicts()}")
    if png_dir is not None:
        from salesagent_dagster.services.warehouse.charts import write_charts

        for path in write_charts(result, png_dir):
            click.echo(f"wrote {path}")


def format_report(report: WarehouseReport) -> str:
    window = f" (leads submitted since {report.since:%Y-%m-%d %H:%M} UTC)" if report.since else ""
    funnel = format_table(
        ["stage", "leads", "share of submitted"],
        [(s.stage, s.leads, _percent(s.share_of_submitted)) for s in report.funnel],
    )
    rates = format_table(
        ["ICP bucket", "sends", "reply rate", "95% interval", "positive", "unsubscribe",
         "bounce"],
        [
            (
                r.icp_bucket, r.sends, _percent(r.reply_rate), _interval(r.reply_rate_interval),
                _percent(r.positive_reply_rate), _percent(r.unsubscribe_rate),
                _percent(r.bounce_rate),
            )
            for r in report.rates_by_icp_bucket
        ],
    )  # fmt: skip
    no_sends = "" if report.rates_by_icp_bucket else "\n(no emails delivered yet)"
    speed = format_table(
        ["form -> first email", "leads"], [(b.bucket, b.leads) for b in report.speed_to_lead]
    )
    percentiles = (
        f"\np50 {report.p50_seconds:.0f} s, p95 {report.p95_seconds:.0f} s"
        if report.p50_seconds is not None and report.p95_seconds is not None
        else "\n(no lead sent to yet)"
    )
    arms = format_table(
        ["experiment", "arm", "first emails", "positive", "95% interval", "negative",
         "unsubscribe", "bounce"],
        [
            (
                a.experiment, a.arm, a.sends, _percent(a.positive_reply_rate),
                _interval(a.positive_reply_interval), a.negative_replies, a.unsubscribes,
                a.bounces,
            )
            for a in report.variant_arms
        ],
    )  # fmt: skip
    no_arms = "" if report.variant_arms else "\n(no first email went out in an experiment)"
    return (
        f"Funnel{window}\n{funnel}\n\n"
        f"Reply rates by ICP bucket (per delivered email)\n{rates}{no_sends}\n\n"
        f"Speed to lead\n{speed}{percentiles}\n\n"
        f"Experiment arms (first emails)\n{arms}{no_arms}"
    )


def experiment_verdicts() -> str:
    """Each experiment's arms scored on positive replies (Beta-Binomial, P(best), the
    minimum sample, harm stops), read-only: the experiment_results asset records stops."""
    from salesagent_dagster.services.experiments import experiment_results
    from salesagent_dagster.settings import resources_from_env

    resources = resources_from_env(resolve_secrets=True)
    try:
        scores = experiment_results(resources.app_store, resources.outreach.experiments())
    except MartsNotBuilt as error:
        return f"Experiments: {error}"
    sections = []
    for score in scores:
        table = format_table(
            ["arm", "first emails", "positive", "posterior mean", "95% credible", "P(best)",
             "status"],
            [
                (
                    arm.arm, arm.sends, _percent(arm.positive_rate), f"{arm.posterior_mean:.1%}",
                    f"{arm.interval[0]:.1%}-{arm.interval[1]:.1%}",
                    "-" if arm.p_best is None else f"{arm.p_best:.2f}",
                    "winner" if arm.arm == score.winner
                    else f"stopped: {arm.stop_reason}" if arm.stopped else "running",
                )
                for arm in score.arms
            ],
        )  # fmt: skip
        sections.append(
            f"Experiment {score.experiment} (positive replies)\n{table}\n{score.verdict}."
        )
    return "\n\n".join(sections) if sections else "No experiments in the policy file."


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def _interval(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:.0%}-{bounds[1]:.0%}"

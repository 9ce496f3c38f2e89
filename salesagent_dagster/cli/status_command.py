"""`salesagent status`: the dashboard's figures in the terminal, for whoever has no Grafana.

The same snapshot `/metrics` serves (services.metrics), read once, uncached: counts, rates
and opaque names (mailbox hashes, services, sensors) only, never an address.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import click
from dagster import DagsterInstance

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.local.instance import prepare_dagster_home
from salesagent_dagster.services.metrics.figures import AppFigures, Figures, InstanceFigures
from salesagent_dagster.services.metrics.snapshot import read_figures
from salesagent_dagster.settings import load_settings, resources_from_env


@click.command("status")
def status() -> None:
    """Leads, sends, review queue, breakers, dead letters, replies and sensor ticks, now."""
    prepare_dagster_home()
    settings = load_settings()
    resources = resources_from_env(resolve_secrets=True)
    with DagsterInstance.get() as instance:
        figures = read_figures(
            resources.app_store.session,
            resources.outreach.fingerprint,
            instance,
            settings.review_sla_minutes * 60,
        )
    click.echo(format_status(figures))


def format_status(figures: Figures) -> str:
    sources = ", ".join(
        f"{name} {'ok' if ok else 'UNREADABLE'}"
        for name, ok in (("app DB", figures.app), ("Dagster instance", figures.instance))
    )
    parts = [f"status at {figures.at:%Y-%m-%d %H:%M:%S} UTC ({sources}; read in "
             f"{figures.read_seconds * 1000:.0f} ms)"]  # fmt: skip
    if figures.app:
        parts += _app_sections(figures.app, figures.at, figures.review_sla_seconds)
    if figures.instance:
        parts += _instance_sections(figures.instance, figures.at)
    return "\n\n".join(parts)


def _app_sections(app: AppFigures, now: datetime, sla_seconds: float) -> list[str]:
    ratio = app.auto_approval_ratio
    speed = app.speed_to_lead
    p50, p95 = speed.quantile_bound(0.5), speed.quantile_bound(0.95)
    oldest = (now - app.review_queue_oldest).total_seconds() if app.review_queue_oldest else 0.0
    late = " LATE" if app.review_queue_depth and oldest > sla_seconds else ""
    emails: dict[tuple[str, str], int] = {}
    for e in app.emails:
        emails[(e.mailbox, e.state)] = emails.get((e.mailbox, e.state), 0) + e.count
    breakers = [(b.service, b.position, str(b.consecutive_failures)) for b in app.breakers] or [
        ("-", "closed (none recorded)", "0")
    ]
    return [
        _table(("outcome", "leads"), sorted(app.leads.items()))
        + "\n\n"
        + _table(("decision", "count"), sorted(app.decisions.items()))
        + f"\noperator rejections: {app.review_rejections}"
        + f"\nauto-approval rate: {'-' if ratio is None else f'{ratio:.0%}'}",
        f"speed to lead (first email sent or drafted): {speed.count} leads, "
        f"p50 <= {_bound(p50)}, p95 <= {_bound(p95)}, mean "
        f"{_duration(speed.total_seconds / speed.count)}"
        if speed.count
        else "speed to lead: no first email sent or drafted yet",
        f"review queue: {app.review_queue_depth} waiting, oldest {_duration(oldest)} "
        f"(SLA {_duration(sla_seconds)}){late}\n"
        f"sends held (kill switch): {app.waiting_sends.get('held', 0)}, "
        f"deferred (limits): {app.waiting_sends.get('deferred', 0)}",
        _table(("mailbox (hash)", "state", "emails"), [(m, s, c) for (m, s), c in sorted(emails.items())]),
        _table(("breaker", "position", "failures"), breakers),
        _table(("reply class", "count"), sorted(app.replies.items()))
        + "\n\n"
        + _table(("suppressed because", "count"), sorted(app.suppressions.items())),
        f"last submission received: {_ago(app.last_received, now)}; "
        f"last handed to a run: {_ago(app.last_dispatched, now)}",
    ]  # fmt: skip


def _instance_sections(instance: InstanceFigures, now: datetime) -> list[str]:
    rows = [
        (i.kind, i.name, "on" if i.running else "off", _ago(i.last_tick, now),
         _duration(i.interval_seconds),
         "LATE" if i.running and i.last_tick and
         (now - i.last_tick).total_seconds() > 2 * i.interval_seconds + 300 else "")
        for i in instance.instigators
    ]  # fmt: skip
    return [
        f"dead letters: {instance.dead_letters}"
        + ("  (salesagent dead-letters lists them)" if instance.dead_letters else ""),
        _table(("type", "name", "status", "last tick", "every", ""), rows)
        if rows
        else "no sensor or schedule has ticked on this instance yet",
    ]


def _table(headers: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> str:
    rows = list(rows)
    return format_table(headers, rows) if rows else f"{headers[0]}: none"


def _bound(seconds: float | None) -> str:
    return "more than a day" if seconds is None else _duration(seconds)


def _ago(at: datetime | None, now: datetime) -> str:
    return "never" if at is None else f"{_duration((now - at).total_seconds())} ago"


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 120:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours < 48 else f"{hours // 24}d{hours % 24:02d}h"

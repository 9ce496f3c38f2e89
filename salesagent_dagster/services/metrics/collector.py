"""The Figures snapshot as Prometheus metric families (a prometheus-client custom collector).

Row counts that only grow between retention passes are counters (`_total`): `increase()`
and `rate()` read them, and a retention or erasure pass that deletes rows shows as a counter
reset, which those functions already tolerate. Levels (queue depth, held sends, breakers,
last ticks) are gauges. Labels are statuses, kinds, service and instigator names, and
mailbox hashes: never an address.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from salesagent_dagster.services.metrics.figures import AppFigures, Figures, InstanceFigures

PREFIX = "salesagent"


class FiguresCollector(Collector):
    def __init__(self, snapshot: Callable[[], Figures]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        figures = self._snapshot()
        up = GaugeMetricFamily(
            f"{PREFIX}_metrics_source_up",
            "1 when the source answered this snapshot's read, 0 when it did not",
            labels=["source"],
        )
        up.add_metric(["app_db"], 1.0 if figures.app else 0.0)
        up.add_metric(["dagster_instance"], 1.0 if figures.instance else 0.0)
        yield up
        yield GaugeMetricFamily(
            f"{PREFIX}_metrics_read_seconds",
            "What reading the figures behind this scrape cost (cached for a few seconds)",
            value=figures.read_seconds,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_review_sla_seconds",
            "SALESAGENT_REVIEW_SLA_MINUTES in seconds: how long a lead may wait for review",
            value=figures.review_sla_seconds,
        )
        if figures.app:
            yield from app_families(figures.app, figures.at.timestamp())
        if figures.instance:
            yield from instance_families(figures.instance)


def app_families(app: AppFigures, now: float) -> Iterator[Metric]:
    submissions = CounterMetricFamily(
        f"{PREFIX}_submissions", "Form submissions in the inbox, by status", labels=["status"]
    )
    for status, count in sorted(app.submissions.items()):
        submissions.add_metric([status], count)
    yield submissions

    leads = CounterMetricFamily(
        f"{PREFIX}_leads",
        "Leads by outcome of intake: rejected (in the inbox), disqualified, qualified",
        labels=["outcome"],
    )
    for outcome, count in sorted(app.leads.items()):
        leads.add_metric([outcome], count)
    yield leads
    decisions = CounterMetricFamily(
        f"{PREFIX}_decisions",
        "The rules engine's send decisions by outcome (auto_approve, needs_review, blocked); "
        "an edited draft is decided again",
        labels=["outcome"],
    )
    for outcome, count in sorted(app.decisions.items()):
        decisions.add_metric([outcome], count)
    yield decisions
    yield CounterMetricFamily(
        f"{PREFIX}_review_rejections", "Leads an operator rejected", value=app.review_rejections
    )
    ratio = app.auto_approval_ratio
    if ratio is not None:
        yield GaugeMetricFamily(
            f"{PREFIX}_auto_approval_ratio",
            "Share of decided leads the rules engine approved without a person",
            value=ratio,
        )

    emails = CounterMetricFamily(
        f"{PREFIX}_emails",
        "Send ledger rows by mailbox (a salted hash), step (first, follow_up) and state "
        "(sent, drafted, sending, unknown, failed_permanent)",
        labels=["mailbox", "step", "state"],
    )
    by_labels = Counter({(e.mailbox, e.step, e.state): 0 for e in app.emails})
    for e in app.emails:
        by_labels[(e.mailbox, e.step, e.state)] += e.count
    for labels, count in sorted(by_labels.items()):
        emails.add_metric(list(labels), count)
    yield emails

    speed = app.speed_to_lead
    buckets = [
        (floatToGoString(b), float(c)) for b, c in zip(speed.bounds, speed.cumulative, strict=True)
    ]
    yield HistogramMetricFamily(
        f"{PREFIX}_speed_to_lead_seconds",
        "Submission accepted into the inbox -> its first email sent or drafted",
        buckets=[*buckets, ("+Inf", float(speed.count))],
        sum_value=speed.total_seconds,
    )

    yield GaugeMetricFamily(
        f"{PREFIX}_review_queue_depth",
        "Leads waiting for an operator's decision",
        value=app.review_queue_depth,
    )
    oldest = app.review_queue_oldest
    yield GaugeMetricFamily(
        f"{PREFIX}_review_queue_oldest_age_seconds",
        "How long the oldest lead in the review queue has waited (0 when it is empty)",
        value=max(0.0, now - oldest.timestamp()) if oldest else 0.0,
    )

    waiting = GaugeMetricFamily(
        f"{PREFIX}_sends_waiting",
        "Approved sends not yet made: held (kill switch) or deferred (a send limit)",
        labels=["reason"],
    )
    for reason, count in sorted(app.waiting_sends.items()):
        waiting.add_metric([reason], count)
    yield waiting

    breaker_open = GaugeMetricFamily(
        f"{PREFIX}_circuit_breaker_open",
        "1 while the service's circuit breaker is open or half-open, 0 when closed",
        labels=["service"],
    )
    failures = GaugeMetricFamily(
        f"{PREFIX}_circuit_breaker_consecutive_failures",
        "Consecutive failures the breaker has counted",
        labels=["service"],
    )
    for breaker in app.breakers:
        breaker_open.add_metric([breaker.service], 1.0 if breaker.is_open else 0.0)
        failures.add_metric([breaker.service], breaker.consecutive_failures)
    yield breaker_open
    yield failures

    replies = CounterMetricFamily(
        f"{PREFIX}_replies",
        "Mail back on our sends by class (positive, question, not_now, negative, "
        "unsubscribe, auto_reply, bounce_hard, bounce_soft, unreadable)",
        labels=["kind"],
    )
    for kind, count in sorted(app.replies.items()):
        replies.add_metric([kind], count)
    yield replies
    suppressions = CounterMetricFamily(
        f"{PREFIX}_suppressions",
        "Suppressed addresses by reason (unsubscribed, bounced, erased, manual)",
        labels=["reason"],
    )
    for reason, count in sorted(app.suppressions.items()):
        suppressions.add_metric([reason], count)
    yield suppressions

    for name, at, what in (
        ("received", app.last_received, "arrived in the inbox"),
        ("dispatched", app.last_dispatched, "was handed to a Dagster run"),
    ):
        if at is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_last_submission_{name}_timestamp_seconds",
                f"When the newest submission {what} (Unix time)",
                value=at.timestamp(),
            )


def instance_families(instance: InstanceFigures) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        f"{PREFIX}_dead_letters",
        "Leads whose latest run failed and that nothing is retrying",
        value=instance.dead_letters,
    )
    labels = ["name", "type"]
    last = GaugeMetricFamily(
        f"{PREFIX}_dagster_instigator_last_tick_timestamp_seconds",
        "When the sensor or schedule last ticked (Unix time; its start when never)",
        labels=labels,
    )
    interval = GaugeMetricFamily(
        f"{PREFIX}_dagster_instigator_interval_seconds",
        "How often it should tick: a sensor's minimum interval, a schedule's cron period",
        labels=labels,
    )
    running = GaugeMetricFamily(
        f"{PREFIX}_dagster_instigator_running",
        "1 when the sensor or schedule is on (started, or running by default in code)",
        labels=labels,
    )
    for item in instance.instigators:
        key = [item.name, item.kind]
        running.add_metric(key, 1.0 if item.running else 0.0)
        interval.add_metric(key, item.interval_seconds)
        if item.last_tick is not None:
            last.add_metric(key, item.last_tick.timestamp())
    yield last
    yield interval
    yield running

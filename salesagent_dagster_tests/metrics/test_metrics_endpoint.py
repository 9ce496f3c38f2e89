"""`/metrics` served for real: on the internal surface only, every figure family present,
the seeded state read back, the edge's own requests counted by route template, no address."""

from __future__ import annotations

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from salesagent_dagster_tests.metrics.conftest import ServedEdge
from salesagent_dagster_tests.metrics.seeding import LEAD_EMAIL, MAILBOXES


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, metric: str, **labels: str) -> float:
    return found[(metric, frozenset(labels.items()))]


def test_metrics_serves_the_seeded_state_in_the_text_format(internal_edge: ServedEdge):
    status, content_type, body = get(f"{internal_edge.url}/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    found = samples(body)
    assert value(found, "salesagent_metrics_source_up", source="app_db") == 1
    assert value(found, "salesagent_metrics_source_up", source="dagster_instance") == 1
    assert value(found, "salesagent_decisions_total", outcome="auto_approve") == 2
    assert value(found, "salesagent_leads_total", outcome="disqualified") == 1
    assert value(found, "salesagent_auto_approval_ratio") == 0.4
    assert value(found, "salesagent_review_queue_depth") == 1
    assert value(found, "salesagent_review_queue_oldest_age_seconds") > 80 * 60
    assert value(found, "salesagent_review_sla_seconds") == 3600
    assert value(found, "salesagent_dead_letters") == 1  # k3's only run failed
    assert value(found, "salesagent_circuit_breaker_open", service="gmail") == 1
    assert value(found, "salesagent_circuit_breaker_open", service="hubspot") == 0
    assert value(found, "salesagent_sends_waiting", reason="held") == 1
    assert value(found, "salesagent_replies_total", kind="bounce_hard") == 1
    assert value(found, "salesagent_suppressions_total", reason="unsubscribed") == 1
    assert value(found, "salesagent_speed_to_lead_seconds_bucket", le="10.0") == 1
    assert value(found, "salesagent_speed_to_lead_seconds_count") == 2
    sensor = {"name": "hubspot_submissions", "type": "sensor"}
    assert value(found, "salesagent_dagster_instigator_running", **sensor) == 1
    assert value(found, "salesagent_dagster_instigator_interval_seconds", **sensor) == 1
    schedule = {"name": "nightly_retention_schedule", "type": "schedule"}
    assert value(found, "salesagent_dagster_instigator_interval_seconds", **schedule) == 86400
    last_tick = value(found, "salesagent_dagster_instigator_last_tick_timestamp_seconds", **sensor)
    assert last_tick == internal_edge.seeded.now.timestamp() - 60


def test_no_address_reaches_a_label(internal_edge: ServedEdge):
    body = get(f"{internal_edge.url}/metrics")[2]
    for address in (LEAD_EMAIL, *MAILBOXES):
        assert address not in body
    assert "@" not in body
    mailboxes = {
        s.labels["mailbox"]
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if "mailbox" in s.labels
    }
    fingerprint = internal_edge.context.outreach.fingerprint
    assert mailboxes == {fingerprint(m)[:12] for m in MAILBOXES}


def test_the_edge_counts_its_requests_by_route_template(internal_edge: ServedEdge):
    get(f"{internal_edge.url}/healthz")
    get(f"{internal_edge.url}/no-such-page/ana@acme.io")
    found = samples(get(f"{internal_edge.url}/metrics")[2])
    healthz = {"surface": "internal", "route": "/healthz", "method": "GET", "status": "200"}
    assert value(found, "salesagent_edge_requests_total", **healthz) >= 1
    unmatched = {"surface": "internal", "route": "unmatched", "method": "GET", "status": "404"}
    assert value(found, "salesagent_edge_requests_total", **unmatched) >= 1
    latency = {"surface": "internal", "route": "/healthz", "le": "+Inf"}
    assert value(found, "salesagent_edge_request_duration_seconds_bucket", **latency) >= 1


def test_metrics_is_not_on_the_public_surface(public_edge: ServedEdge):
    assert get(f"{public_edge.url}/metrics")[0] == 404

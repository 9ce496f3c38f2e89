"""The deploy files checked by their own tools, and Prometheus run for real against the edge:
the target is up, and alerts fire on injected state (a dead letter, an open breaker)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import requests

from salesagent_dagster.local.bench_daemon import free_port, running_edge
from salesagent_dagster_tests.metrics.conftest import SALT, ServedEdge
from salesagent_dagster_tests.metrics.prometheus_server import (
    ALERTMANAGER_CONFIG,
    RULES,
    RULES_TEST,
    SCRAPE_CONFIG,
    api,
    rules_firing_at_once,
    run_tool,
    running_prometheus,
    tool,
    wait_for,
)


def test_promtool_accepts_the_rules_and_the_scrape_config():
    checked = run_tool(tool("promtool"), "check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
    config = run_tool(tool("promtool"), "check", "config", "--syntax-only", str(SCRAPE_CONFIG))
    assert config.returncode == 0, config.stdout + config.stderr


def test_the_rules_unit_tests_pass():
    """deploy/prometheus/rules_test.yml: each alert fires on its state, not on a healthy one."""
    tested = run_tool(tool("promtool"), "test", "rules", str(RULES_TEST))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_amtool_accepts_the_alertmanager_config():
    checked = run_tool(tool("amtool", "prometheus-alertmanager"), "check-config",
                       str(ALERTMANAGER_CONFIG))  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prometheus_scrapes_the_edge_and_the_alerts_fire(
    internal_edge: ServedEdge, app_db_url: str, tmp_path: Path
):
    rules = rules_firing_at_once(RULES, tmp_path / "rules.yml")
    metrics_port = free_port()
    env = {**os.environ, "SALESAGENT_DATABASE_URL": app_db_url, "SALESAGENT_HASH_SALT": SALT}
    options = ("--metrics-port", str(metrics_port))
    with (
        # The public surface for real (`salesagent serve`), its request metrics on a port apart.
        running_edge(env, tmp_path / "public-edge.log", options=options) as (public_url, _),
        running_prometheus(
            internal_edge.url, rules, tmp_path, f"http://127.0.0.1:{metrics_port}"
        ) as prometheus,
    ):
        assert requests.get(f"{public_url}/metrics", timeout=5).status_code == 404
        assert requests.post(f"{public_url}/webhooks/hubspot", data="{}", timeout=5).status_code
        targets = wait_for(
            lambda: (
                len(up := [t for t in api(prometheus, "/api/v1/targets")["activeTargets"]
                           if t["health"] == "up"]) == 2
                and up
            ),
            "both edge targets up",
        )  # fmt: skip
        by_job = {t["labels"]["job"]: t["scrapeUrl"] for t in targets}
        assert by_job == {
            "salesagent_edge": f"{internal_edge.url}/metrics",
            "salesagent_edge_public": f"http://127.0.0.1:{metrics_port}/metrics",
        }
        # The public edge's own requests, as Prometheus stored them.
        public_requests = wait_for(
            lambda: api(
                prometheus,
                "/api/v1/query?query="
                + quote(
                    'salesagent_edge_requests_total{job="salesagent_edge_public",'
                    'route="/webhooks/hubspot"}'
                ),
            )["result"],
            "the public edge's request counter",
        )
        assert public_requests[0]["metric"]["surface"] == "public"

        def firing() -> dict[str, list[dict]]:
            by_name: dict[str, list[dict]] = {}
            for alert in api(prometheus, "/api/v1/alerts")["alerts"]:
                if alert["state"] == "firing":
                    by_name.setdefault(alert["labels"]["alertname"], []).append(alert)
            return by_name

        alerts = wait_for(
            lambda: (
                (f := firing())
                and {"SalesagentDeadLetters", "SalesagentCircuitBreakerOpen"} <= set(f)
                and f
            ),
            "the dead-letter and breaker alerts",
        )
        # The seeded state: k3's failed run is the one dead letter; only gmail's breaker is open.
        assert alerts["SalesagentDeadLetters"][0]["value"] in ("1e+00", "1")
        assert [a["labels"]["service"] for a in alerts["SalesagentCircuitBreakerOpen"]] == ["gmail"]
        # The queue's oldest lead waited 90 minutes against a 60-minute SLA.
        assert "SalesagentReviewQueueOverSla" in alerts
        # Healthy parts raise nothing: the edge answers, the sensor ticked a minute ago.
        assert "SalesagentEdgeDown" not in alerts
        assert "SalesagentPublicEdgeDown" not in alerts
        assert "SalesagentMetricsSourceDown" not in alerts
        assert "SalesagentEdgeErrorRateHigh" not in alerts

"""The deploy files checked by their own tools, and Prometheus run for real against the edge:
the target is up, and alerts fire on injected state (a dead letter, an open breaker)."""

from __future__ import annotations

from pathlib import Path

from salesagent_dagster_tests.metrics.conftest import ServedEdge
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


def test_prometheus_scrapes_the_edge_and_the_alerts_fire(internal_edge: ServedEdge, tmp_path: Path):
    rules = rules_firing_at_once(RULES, tmp_path / "rules.yml")
    with running_prometheus(internal_edge.url, rules, tmp_path) as prometheus:
        targets = wait_for(
            lambda: [t for t in api(prometheus, "/api/v1/targets")["activeTargets"]
                     if t["health"] == "up"],
            "the edge target up",
        )  # fmt: skip
        assert targets[0]["scrapeUrl"] == f"{internal_edge.url}/metrics"
        assert targets[0]["labels"]["job"] == "salesagent_edge"

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
        assert "SalesagentMetricsSourceDown" not in alerts
        assert "SalesagentEdgeErrorRateHigh" not in alerts

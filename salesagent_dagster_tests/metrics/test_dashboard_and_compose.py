"""The Grafana dashboard and the alert rules name only metrics the edge exports, and every
figure the edge exports is on the dashboard; the compose file runs the monitoring services
on the deploy files this repository holds."""

from __future__ import annotations

import json
import re
import urllib.request

import yaml
from prometheus_client.parser import text_string_to_metric_families

from salesagent_dagster.local.instance import REPO_ROOT
from salesagent_dagster_tests.metrics.conftest import ServedEdge
from salesagent_dagster_tests.metrics.prometheus_server import DEPLOY, RULES

DASHBOARD = DEPLOY / "grafana" / "dashboards" / "salesagent.json"
DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = DEPLOY / "grafana" / "provisioning" / "dashboards" / "salesagent.yml"
METRIC = re.compile(r"\bsalesagent_[a-z0-9_]+\b")
# Figures the dashboard may leave out: process internals of the edge.
NOT_ON_THE_DASHBOARD = re.compile(r"^process_")


def exported(edge: ServedEdge) -> tuple[set[str], set[str]]:
    """(sample names, family names) of a live scrape of the seeded edge, the second one: the
    first request is counted only once its own answer has been written."""
    urllib.request.urlopen(f"{edge.url}/metrics", timeout=15).close()  # noqa: S310
    with urllib.request.urlopen(f"{edge.url}/metrics", timeout=15) as response:  # noqa: S310
        families = list(text_string_to_metric_families(response.read().decode()))
    return {s.name for f in families for s in f.samples}, {f.name for f in families}


def dashboard_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"]
            for target in panel["targets"]]  # fmt: skip


def rule_queries() -> list[tuple[str, str]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [(rule["alert"], rule["expr"]) for group in groups for rule in group["rules"]]


def test_every_panel_and_rule_queries_metrics_the_edge_exports(internal_edge: ServedEdge):
    samples, _ = exported(internal_edge)
    for where, expr in dashboard_queries() + rule_queries():
        names = set(METRIC.findall(re.sub(r'"[^"]*"', '""', expr)))  # not label values
        assert names or "up{" in expr, f"{where}: names no metric: {expr}"
        assert names <= samples, f"{where}: {sorted(names - samples)} not exported"


def test_every_exported_figure_is_on_the_dashboard(internal_edge: ServedEdge):
    _, families = exported(internal_edge)
    shown = " ".join(expr for _, expr in dashboard_queries())
    missing = {f for f in families if not NOT_ON_THE_DASHBOARD.match(f) and f not in shown}
    assert not missing, f"exported but on no panel: {sorted(missing)}"


def test_panels_read_the_provisioned_datasource():
    (datasource,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["panels"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        assert panel["targets"], panel["title"]
    (provider,) = yaml.safe_load(PROVIDERS.read_text())["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_compose_runs_prometheus_alertmanager_and_grafana_on_the_deploy_files():
    services = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("prometheus", "alertmanager", "grafana"):
        service = services[name]
        image = service["image"]
        assert re.search(r":v?\d[\w.-]*$", image), f"{name}: pin the image: {image}"
        for volume in service["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO_ROOT / source).exists(), f"{name} mounts a missing {source}"
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    edge_job = next(j for j in scrape["scrape_configs"] if j["job_name"] == "salesagent_edge")
    # /metrics lives on the internal surface, whose service is never published.
    assert edge_job["static_configs"][0]["targets"] == ["edge_internal:8081"]
    # The public edge's own requests: a port apart, exposed to the compose network only.
    public_job = next(
        j for j in scrape["scrape_configs"] if j["job_name"] == "salesagent_edge_public"
    )
    assert public_job["static_configs"][0]["targets"] == ["edge:9464"]
    edge = services["edge"]
    assert edge["command"][-2:] == ["--metrics-port", "9464"] and edge["expose"] == ["9464"]
    assert edge["ports"] == ["8080:8080"]
    assert "ports" not in services["prometheus"] and "ports" not in services["alertmanager"]
    assert all(p.startswith("127.0.0.1:") for p in services["grafana"]["ports"])


def test_the_rules_unit_tests_cover_every_alert():
    tests = yaml.safe_load((DEPLOY / "prometheus" / "rules_test.yml").read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test.get("alert_rule_test", [])}
    untested = {name for name, _ in rule_queries()} - tested
    # The two "the scrape itself is broken" alerts are exercised by the live Prometheus test.
    assert untested <= {"SalesagentEdgeDown", "SalesagentMetricsSourceDown"}, untested

"""The Prometheus server and tools from Debian's packages (`apt-get install prometheus`),
started for real against a served edge. Missing locally, the tests skip and say how to get
them; under CI (the `CI` variable set) a missing binary is a failure, as for Postgres."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from salesagent_dagster.local.instance import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "rules" / "salesagent.yml"
RULES_TEST = DEPLOY / "prometheus" / "rules_test.yml"
SCRAPE_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
WAIT_SECONDS = 60  # a deadline for the server to come up, never a measured expectation


def tool(name: str, package: str = "prometheus") -> str:
    path = shutil.which(name)
    if path is None:
        why = f"{name} not installed: apt-get install -y {package}"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return path


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def rules_firing_at_once(source: Path, target: Path) -> Path:
    """The alert rules with every `for:` removed: an injected state fires on the next
    evaluation, so the test waits seconds, not the production rules' minutes."""
    rules = yaml.safe_load(source.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("for", None)
    target.write_text(yaml.safe_dump(rules))
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scrape_jobs(targets: dict[str, str]) -> list[dict[str, Any]]:
    """deploy/prometheus/prometheus.yml's jobs named in `targets` (job -> base URL), each
    pointed at its URL here instead of its compose service: the deploy file's own jobs,
    paths and names are what the test scrapes."""
    jobs = yaml.safe_load(SCRAPE_CONFIG.read_text())["scrape_configs"]
    return [
        {**job, "static_configs": [{"targets": [targets[job["job_name"]].removeprefix("http://")]}]}
        for job in jobs
        if job["job_name"] in targets
    ]


@contextmanager
def running_prometheus(
    edge_url: str, rules: Path, workdir: Path, public_metrics_url: str | None = None
) -> Iterator[str]:
    """Prometheus scraping `edge_url`'s /metrics (job salesagent_edge) and, when given, the
    public edge's metrics port (job salesagent_edge_public) every second, evaluating `rules`
    every second, until the block ends; yields its base URL."""
    targets = {"salesagent_edge": edge_url}
    if public_metrics_url:
        targets["salesagent_edge_public"] = public_metrics_url
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": scrape_jobs(targets),
    }
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    port = free_port()
    log = (workdir / "prometheus.log").open("w")
    process = subprocess.Popen(
        [tool("prometheus"), f"--config.file={config_file}",
         f"--storage.tsdb.path={workdir / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: api(url, "/-/ready", raw=True) is not None, "Prometheus ready", process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def api(url: str, path: str, raw: bool = False) -> Any:
    try:
        with urllib.request.urlopen(url + path, timeout=5) as response:  # noqa: S310
            body = response.read().decode()
    except OSError:
        return None
    return body if raw else json.loads(body)["data"]


def wait_for(condition: Any, what: str, process: subprocess.Popen[bytes] | None = None) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"Prometheus exited ({process.returncode}) waiting for {what}")
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what} after {WAIT_SECONDS} s")

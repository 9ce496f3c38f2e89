"""The compose topology without Docker: each service's own command from docker-compose.yml,
run as a local process against the real PostgreSQL server and a real S3-compatible server
(moto's standalone server), with DAGSTER_HOME holding deploy/production's files.

Only what a container would differ in is rewritten: listen on 127.0.0.1 instead of 0.0.0.0,
free ports instead of 3000/4000/4001, the temp DAGSTER_HOME instead of /opt/dagster/dagster_home.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
import yaml

from salesagent_dagster.local.instance import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
PRODUCTION_DIR = REPO_ROOT / "deploy" / "production"
IMAGE_DAGSTER_HOME = "/opt/dagster/dagster_home"
VENV_BIN = Path(sys.executable).parent
T = TypeVar("T")


def compose_services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    what: str, probe: Callable[[], T | None], timeout_s: float, interval_s: float = 0.25
) -> T:
    """Poll until `probe` returns something truthy; fail with `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = probe()
        except (requests.RequestException, OSError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:g} s")
        time.sleep(interval_s)


@dataclass
class ProductionStack:
    home: Path
    env: dict[str, str]
    code_port: int
    warehouse_code_port: int
    web_port: int
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def command(self, service: str) -> list[str]:
        """The service's compose command, pointed at this machine's ports and DAGSTER_HOME."""
        replacements = {
            "0.0.0.0": "127.0.0.1",  # noqa: S104 (what the container binds, replaced)
            "4000": str(self.code_port),
            "4001": str(self.warehouse_code_port),
            "3000": str(self.web_port),
            f"{IMAGE_DAGSTER_HOME}/workspace.yaml": str(self.home / "workspace.yaml"),
        }
        return [replacements.get(part, part) for part in compose_services()[service]["command"]]

    def run(self, service: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
        """A one-shot service (migrate) to completion."""
        return subprocess.run(
            self.command(service), env=self.env, cwd=self.home, capture_output=True,
            text=True, timeout=timeout_s, check=False,
        )  # fmt: skip

    def start(self, service: str) -> None:
        """A long-running service in its own process group, so teardown reaches the
        processes it spawns (the code server's gRPC child, run workers)."""
        log = (self.home / f"{service}.log").open("wb")
        self.processes[service] = subprocess.Popen(
            self.command(service), env=self.env, cwd=self.home, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def logs(self) -> str:
        """The tail of every service's log, for a failure message."""
        tails = []
        for service in self.processes:
            text = (self.home / f"{service}.log").read_text(errors="replace")
            tails.append(f"--- {service} ---\n" + "\n".join(text.splitlines()[-40:]))
        return "\n".join(tails)

    def assert_running(self) -> None:
        exited = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        assert not exited, f"services exited: {exited}\n{self.logs()}"

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = requests.post(
            f"{self.web_url}/graphql",
            json={"query": query, "variables": variables or {}},
            timeout=10,
        )
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        return body["data"]

    def stop(self) -> None:
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=5)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


@contextmanager
def production_stack(
    root: Path, dagster_postgres_url: str, app_database_url: str, s3_endpoint_url: str
) -> Iterator[ProductionStack]:
    """DAGSTER_HOME with deploy/production's files and the environment compose would give
    the containers; services are started by the caller, all stopped on exit."""
    home = root / "dagster_home"
    home.mkdir()
    for name in ("dagster.yaml", "workspace.yaml"):
        shutil.copyfile(PRODUCTION_DIR / name, home / name)
    code_port, warehouse_code_port, web_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        # The venv's console scripts first, as they are on the image's PATH.
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(home),
        "DAGSTER_POSTGRES_URL": dagster_postgres_url,
        "SALESAGENT_DATABASE_URL": app_database_url,
        "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
        "DAGSTER_CODE_SERVER_PORT": str(code_port),
        "DAGSTER_WAREHOUSE_CODE_SERVER_HOST": "127.0.0.1",
        "DAGSTER_WAREHOUSE_CODE_SERVER_PORT": str(warehouse_code_port),
        "DAGSTER_COMPUTE_LOGS_BUCKET": "salesagent-compute-logs",
        "DAGSTER_COMPUTE_LOGS_PREFIX": "dagster",
        "DAGSTER_COMPUTE_LOGS_LOCAL_DIR": str(home / "compute_logs"),
        "AWS_ENDPOINT_URL_S3": s3_endpoint_url,
        "AWS_ACCESS_KEY_ID": "moto-test-key",
        "AWS_SECRET_ACCESS_KEY": "moto-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    stack = ProductionStack(
        home=home, env=env, code_port=code_port, warehouse_code_port=warehouse_code_port,
        web_port=web_port,
    )  # fmt: skip
    try:
        yield stack
    finally:
        stack.stop()

"""A bench instance whose dagster.yaml runs the forking launcher, with run monitoring polling
every second (so a killed worker is noticed within the test), and what the tests read back:
a lead's runs, their worker tag, the daemon log's zygote lines."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.storage.dagster_run import DagsterRun

from salesagent_dagster.local.bench_daemon import bench_home
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER
from salesagent_dagster.run_launcher.worker_identity import RUN_WORKER_TAG

FORKING_LAUNCHER = {
    "module": "salesagent_dagster.run_launcher.forking",
    "class": "ForkingRunLauncher",
}


@contextmanager
def forking_home(prefix: str) -> Iterator[Path]:
    with bench_home(prefix) as home:
        config = yaml.safe_load((home / "dagster.yaml").read_text())
        if config.get("run_launcher", {}).get("class") != FORKING_LAUNCHER["class"]:
            config["run_launcher"] = FORKING_LAUNCHER  # the repo's may have it off
        config["run_monitoring"] = {**config.get("run_monitoring", {}), "poll_interval_seconds": 1}
        (home / "dagster.yaml").write_text(yaml.safe_dump(config))
        yield home


def messages_per_recipient(gmail_url: str) -> Counter[str]:
    mailbox = requests.get(f"{gmail_url}/_admin/state", timeout=10).json()["mailboxes"][
        SANDBOX_SENDER
    ]
    return Counter(str(m.get("to", "")).lower() for m in [*mailbox["drafts"], *mailbox["sent"]])


def wait_for_forked_run(instance: DagsterInstance, timeout_s: float = 240) -> DagsterRun:
    """The first run to carry a forked worker's tag while STARTED."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for run in instance.get_runs():
            if RUN_WORKER_TAG in run.tags and run.status == DagsterRunStatus.STARTED:
                return run
        time.sleep(0.05)
    raise AssertionError("no forked run worker started")


def wait_for_finished_retry(
    instance: DagsterInstance, run_id: str, daemon_log_of: Path, timeout_s: float = 300
) -> DagsterRun:
    """The run that run retries launched for `run_id`, once it has finished."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for run in instance.get_runs():
            if run.parent_run_id == run_id and run.is_finished:
                return run
        time.sleep(0.2)
    raise AssertionError(f"no finished retry of {run_id}: {daemon_log(daemon_log_of)[-3000:]}")


def engine_messages(instance: DagsterInstance, run_id: str) -> list[str]:
    return [entry.message for entry in instance.all_logs(run_id)]


def daemon_log(home: Path) -> str:
    return (home / "daemon.log").read_text(errors="replace")

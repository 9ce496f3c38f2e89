"""A fresh local instance with `dagster-daemon` running on it against the emulators: the
production path on this machine, as the daemon benches (`salesagent bench`, and
`bench --replies` for replies) measure it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml

from salesagent_dagster.local.instance import INSTANCE_CONFIG, REPO_ROOT
from salesagent_dagster.local.processes import running_group
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER, SandboxStack
from salesagent_dagster.store.database import migrate

BENCH_DOMAIN = "bench-known-good.example"
POLL_SECONDS = 0.05


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@contextmanager
def bench_home(prefix: str) -> Iterator[Path]:
    """DAGSTER_HOME for one bench run: the repo's dagster.yaml as committed, and the app DB
    at head (as a deploy would: the daemon's run workers only check it). Removed after."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    shutil.copyfile(INSTANCE_CONFIG, home / "dagster.yaml")
    migrate(app_db_url(home))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def app_db_url(home: Path) -> str:
    return f"sqlite:///{home / 'salesagent.db'}"


@contextmanager
def running_daemon(
    stack: SandboxStack, home: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`dagster-daemon run` on `home`, configured for the emulators (leads at BENCH_DOMAIN are
    known-good); `env` adds to or overrides that configuration. Its log: home/daemon.log."""
    daemon_env = {
        **os.environ,
        **stack.env,
        "DAGSTER_HOME": str(home),
        "SALESAGENT_KNOWN_GOOD": BENCH_DOMAIN,
        "SALESAGENT_MAILBOX_DAILY_LIMIT": "2000",
        "SALESAGENT_DATABASE_URL": app_db_url(home),
        **(env or {}),
    }
    daemon = Path(sys.executable).with_name("dagster-daemon")
    # Its own process group, stopped as one: the daemon's code server and run workers too.
    with running_group(
        [str(daemon), "run", "-w", str(REPO_ROOT / "workspace.yaml")],
        grace_seconds=30,
        env=daemon_env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(home / "daemon.log").open("wb"),
    ) as process:
        yield process


def recipients_delivered(gmail_url: str) -> dict[str, float]:
    """Recipient address -> when the Gmail emulator recorded a draft or send for it."""
    mailbox = requests.get(f"{gmail_url}/_admin/state", timeout=10).json()["mailboxes"][
        SANDBOX_SENDER
    ]
    delivered: dict[str, float] = {}
    for message in [*mailbox["drafts"], *mailbox["sent"]]:
        recipient = str(message.get("to", "")).lower()
        delivered[recipient] = float(message.get("internalDate", 0)) / 1000
    return delivered


def wait_for_delivery(gmail_url: str, addresses: set[str], timeout_s: float) -> dict[str, float]:
    """Wait until Gmail holds a draft or send for each address, or `timeout_s` passed; the
    ones it holds, with when it recorded them."""
    deadline = time.time() + timeout_s
    while True:
        delivered = recipients_delivered(gmail_url)
        found = {address: delivered[address] for address in addresses if address in delivered}
        if len(found) == len(addresses) or time.time() > deadline:
            return found
        time.sleep(POLL_SECONDS)


def instance_settings(sensor: str) -> list[str]:
    """The settings lines a daemon bench prints: dagster.yaml as committed, `sensor` (the
    sensor the bench waits on, and its interval) and the machine."""
    config = yaml.safe_load(INSTANCE_CONFIG.read_text())
    queue = config.get("run_queue", {})
    concurrency = config.get("concurrency", {})
    return [
        "settings: dagster-daemon + QueuedRunCoordinator, SQLite instance, in_process_executor,",
        f"  max_concurrent_runs={concurrency.get('runs', {}).get('max_concurrent_runs')}, "
        f"pools.default_limit={concurrency.get('pools', {}).get('default_limit')}, "
        f"dequeue_interval_seconds={queue.get('dequeue_interval_seconds')}, "
        f"dequeue_use_threads={queue.get('dequeue_use_threads')}, {sensor}, "
        f"{os.cpu_count()} CPUs",
    ]

"""Speed-to-lead benchmark on the real production path: `dagster-daemon` evaluating the
sensor, the queued run coordinator, one run worker process per lead, against the emulators.

Latency is measured from the moment the HubSpot emulator accepted a submission to the
moment the Gmail emulator recorded the draft (or send) for it. Figures, not assertions:
this is a measurement, run by `salesagent bench`, never by the test suite.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.instance import INSTANCE_CONFIG, REPO_ROOT
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER, SandboxStack, running_sandbox
from salesagent_dagster.store.database import migrate

BENCH_DOMAIN = "bench-known-good.example"
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class BenchFigures:
    latencies_s: list[float]
    burst_size: int
    burst_seconds: float
    timed_out: int

    @property
    def leads_per_minute(self) -> float:
        return self.burst_size / self.burst_seconds * 60 if self.burst_seconds else 0.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@contextmanager
def running_daemon(stack: SandboxStack, home: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        **stack.env,
        "DAGSTER_HOME": str(home),
        "SALESAGENT_KNOWN_GOOD": BENCH_DOMAIN,
        "SALESAGENT_MAILBOX_DAILY_LIMIT": "2000",
        "SALESAGENT_DATABASE_URL": _app_db_url(home),
    }
    daemon = Path(sys.executable).with_name("dagster-daemon")
    process = subprocess.Popen(
        [str(daemon), "run", "-w", str(REPO_ROOT / "workspace.yaml")],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(home / "daemon.log").open("wb"),
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _app_db_url(home: Path) -> str:
    return f"sqlite:///{home / 'salesagent.db'}"


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


def run_bench(latency_leads: int = 20, burst: int = 200, timeout_s: float = 900) -> BenchFigures:
    home = Path(tempfile.mkdtemp(prefix="salesagent-bench-"))
    shutil.copyfile(INSTANCE_CONFIG, home / "dagster.yaml")
    migrate(_app_db_url(home))  # as a deploy would: the daemon's run workers only check it
    with running_sandbox() as stack, running_daemon(stack, home):
        form_id = default_form_id(stack.hubspot.url)
        _wait_for_first_tick(stack, form_id, timeout_s)
        latencies, timed_out = [], 0
        for index in range(latency_leads):
            address = f"latency-{index}@{BENCH_DOMAIN}"
            submitted = time.time()
            add_submission(stack.hubspot.url, {"email": address, "firstname": "Bench"}, form_id)
            delivered_at = _wait_for(stack.gmail.url, {address}, timeout_s=60)
            if address in delivered_at:
                latencies.append(delivered_at[address] - submitted)
            else:
                timed_out += 1
        addresses = {f"burst-{index}@{BENCH_DOMAIN}" for index in range(burst)}
        started = time.time()
        for address in sorted(addresses):
            add_submission(stack.hubspot.url, {"email": address, "firstname": "Burst"}, form_id)
        delivered = _wait_for(stack.gmail.url, addresses, timeout_s=timeout_s)
        finished = max(delivered.values(), default=time.time())
        timed_out += len(addresses) - len(delivered)
    shutil.rmtree(home, ignore_errors=True)
    return BenchFigures(latencies, len(delivered), finished - started, timed_out)


def _wait_for_first_tick(stack: SandboxStack, form_id: str, timeout_s: float) -> None:
    """Warm-up lead: the daemon and code server start before we measure anything."""
    address = f"warmup@{BENCH_DOMAIN}"
    add_submission(stack.hubspot.url, {"email": address, "firstname": "Warm"}, form_id)
    _wait_for(stack.gmail.url, {address}, timeout_s)


def _wait_for(gmail_url: str, addresses: set[str], timeout_s: float) -> dict[str, float]:
    deadline = time.time() + timeout_s
    while True:
        delivered = recipients_delivered(gmail_url)
        found = {address: delivered[address] for address in addresses if address in delivered}
        if len(found) == len(addresses) or time.time() > deadline:
            return found
        time.sleep(POLL_SECONDS)


def format_figures(figures: BenchFigures) -> str:
    config = yaml.safe_load(INSTANCE_CONFIG.read_text())
    queue = config.get("run_queue", {})
    concurrency = config.get("concurrency", {})
    lines = [
        "settings: dagster-daemon + QueuedRunCoordinator, SQLite instance, in_process_executor,",
        f"  max_concurrent_runs={concurrency.get('runs', {}).get('max_concurrent_runs')}, "
        f"pools.default_limit={concurrency.get('pools', {}).get('default_limit')}, "
        f"dequeue_interval_seconds={queue.get('dequeue_interval_seconds')}, "
        f"dequeue_use_threads={queue.get('dequeue_use_threads')}, sensor min interval 1 s, "
        f"{os.cpu_count()} CPUs",
    ]
    if figures.latencies_s:
        lines.append(
            f"latency submission -> Gmail draft over {len(figures.latencies_s)} leads: "
            f"p50 {statistics.median(figures.latencies_s):.1f} s, "
            f"p95 {percentile(figures.latencies_s, 0.95):.1f} s, "
            f"max {max(figures.latencies_s):.1f} s   (target p95 <= 10 s)"
        )
    lines.append(
        f"burst: {figures.burst_size} leads drained in {figures.burst_seconds:.0f} s = "
        f"{figures.leads_per_minute:.1f} leads/min   (target >= 60 leads/min)"
    )
    if figures.timed_out:
        lines.append(f"timed out: {figures.timed_out} leads never reached Gmail")
    return "\n".join(lines)

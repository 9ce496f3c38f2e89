"""Speed-to-lead benchmark on the real production path: `dagster-daemon` evaluating the
sensor, the queued run coordinator, one run worker process per lead, against the emulators.

Latency is measured from the moment the HubSpot emulator accepted a submission to the
moment the Gmail emulator recorded the draft (or send) for it. Figures, not assertions:
this is a measurement, run by `salesagent bench`, never by the test suite.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from salesagent_dagster.local.bench_daemon import (
    BENCH_DOMAIN,
    bench_home,
    instance_settings,
    percentile,
    running_daemon,
    wait_for_delivery,
)
from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.sandbox_stack import SandboxStack, running_sandbox


@dataclass(frozen=True)
class BenchFigures:
    latencies_s: list[float]
    burst_size: int
    burst_seconds: float
    timed_out: int

    @property
    def leads_per_minute(self) -> float:
        return self.burst_size / self.burst_seconds * 60 if self.burst_seconds else 0.0


def run_bench(latency_leads: int = 20, burst: int = 200, timeout_s: float = 900) -> BenchFigures:
    with (
        bench_home("salesagent-bench-") as home,
        running_sandbox() as stack,
        running_daemon(stack, home),
    ):
        form_id = default_form_id(stack.hubspot.url)
        _wait_for_first_tick(stack, form_id, timeout_s)
        latencies, timed_out = [], 0
        for index in range(latency_leads):
            address = f"latency-{index}@{BENCH_DOMAIN}"
            submitted = time.time()
            add_submission(stack.hubspot.url, {"email": address, "firstname": "Bench"}, form_id)
            delivered_at = wait_for_delivery(stack.gmail.url, {address}, timeout_s=60)
            if address in delivered_at:
                latencies.append(delivered_at[address] - submitted)
            else:
                timed_out += 1
        addresses = {f"burst-{index}@{BENCH_DOMAIN}" for index in range(burst)}
        started = time.time()
        for address in sorted(addresses):
            add_submission(stack.hubspot.url, {"email": address, "firstname": "Burst"}, form_id)
        delivered = wait_for_delivery(stack.gmail.url, addresses, timeout_s=timeout_s)
        finished = max(delivered.values(), default=time.time())
        timed_out += len(addresses) - len(delivered)
    return BenchFigures(latencies, len(delivered), finished - started, timed_out)


def _wait_for_first_tick(stack: SandboxStack, form_id: str, timeout_s: float) -> None:
    """Warm-up lead: the daemon and code server start before we measure anything."""
    address = f"warmup@{BENCH_DOMAIN}"
    add_submission(stack.hubspot.url, {"email": address, "firstname": "Warm"}, form_id)
    wait_for_delivery(stack.gmail.url, {address}, timeout_s)


def format_figures(figures: BenchFigures) -> str:
    lines = instance_settings("sensor min interval 1 s")
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

"""Speed-to-lead benchmark on the real production path: `dagster-daemon` evaluating the
sensor, the queued run coordinator, one run worker process per run, against the emulators;
and the pushed path beside it: the emulator plays the HubSpot workflow and POSTs each
submission, signed, to the edge (`salesagent serve`), which stores it and starts its run at
once through `dagster-webserver`'s GraphQL API (the sensor still polls: whichever is first).

Latency is measured from the moment the HubSpot emulator accepted a submission to the
moment the Gmail emulator recorded the draft (or send) for it, one lead at a time after a
random pause (0-5 s, seeded, as the floor bench does) so submissions land at random phases
of the daemon's loops. The burst is submitted at once on the polled path, and drained as
the product drains a backlog: leads with a free run slot get their own `process_lead` run,
the rest go in `process_lead_batch` runs (the `lead_backlog` sensor); the bench counts both. CPU per lead is the burst's CPU seconds of
every process the bench started (daemon, its code server and run workers, webserver and its
code server, edge) over the leads delivered. Figures, not assertions: run by `salesagent
bench`, never by the test suite.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from salesagent_dagster.local.bench_daemon import (
    BENCH_DOMAIN,
    bench_home,
    daemon_environment,
    instance_settings,
    percentile,
    processes_cpu_seconds,
    running_daemon,
    running_edge,
    running_webserver,
    wait_for_delivery,
)
from salesagent_dagster.local.demo_push import SANDBOX_HUBSPOT_CLIENT_SECRET
from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.instance import REPO_ROOT
from salesagent_dagster.local.processes import running_group
from salesagent_dagster.local.sandbox_stack import SandboxStack, running_sandbox
from salesagent_dagster.run_launcher.zygote import WORKER_EXIT_LOG_PREFIX
from salesagent_dagster.services.lead_batching import keys_of_batch_run
from salesagent_dagster.services.run_tags import BATCH_JOB, LEAD_JOB

GAP_MAX_SECONDS = 5.0  # the floor bench's --gap-max
IDLE_SAMPLE_SECONDS = 10.0
LEAD_TIMEOUT_SECONDS = 120
# The shared floor benchmark (a minimal project of our shape on the same Dagster): beside the
# main checkout (`../shared/perf`), or beside the worktrees' folder.
FLOOR_SCRIPT = Path("shared", "perf", "floor_bench.py")


@dataclass
class BenchFigures:
    polled_s: list[float] = field(default_factory=list)
    pushed_s: list[float] = field(default_factory=list)
    burst_size: int = 0
    burst_seconds: float = 0.0
    burst_cpu_seconds: float = 0.0
    timed_out: int = 0
    burst_lead_runs: int = 0  # process_lead runs the burst made
    burst_batch_runs: int = 0  # process_lead_batch runs the burst made
    # Each run of the burst: job, leads, queued, started, ended (s from the burst; None:
    # not yet when the last lead was delivered)
    burst_timeline: list[tuple[str, int, float, float | None, float | None]] = field(
        default_factory=list
    )
    # Each forked run worker's own CPU in the burst (its rusage, as the zygote reaped it);
    # empty when runs were not forked (the default launcher, or the forking one's fallback).
    forked_worker_cpu_s: list[float] = field(default_factory=list)
    # The single-lead path (the polled leads, one at a time, each its own run): the CPU the
    # bench's processes spent over it beyond their idle rate (sensors and the run queue tick
    # whether leads come or not), per lead.
    single_lead_cpu_s: float = 0.0

    @property
    def leads_per_minute(self) -> float:
        return self.burst_size / self.burst_seconds * 60 if self.burst_seconds else 0.0

    @property
    def cpu_per_lead(self) -> float:
        return self.burst_cpu_seconds / self.burst_size if self.burst_size else 0.0


def run_bench(
    latency_leads: int = 20, burst: int = 200, timeout_s: float = 900, pushed: bool = True
) -> BenchFigures:
    figures = BenchFigures()
    rng = random.Random(7)  # noqa: S311 (pauses, not secrets)
    with bench_home("salesagent-bench-") as home, running_sandbox() as stack, ExitStack() as up:
        processes = up.enter_context(_product_processes(stack, home, pushed))
        form_id = default_form_id(stack.hubspot.url)
        _one_lead(stack, form_id, "warmup-polled", timeout_s)  # daemon and code server up
        idle_cpu_per_s = _cpu_rate(processes.pids, IDLE_SAMPLE_SECONDS)
        cpu_before, phase_started = processes_cpu_seconds(processes.pids), time.time()
        figures.polled_s = _latencies(stack, form_id, "polled", latency_leads, rng, figures)
        if figures.polled_s:
            spent = processes_cpu_seconds(processes.pids) - cpu_before
            idle = idle_cpu_per_s * (time.time() - phase_started)
            figures.single_lead_cpu_s = max(0.0, spent - idle) / len(figures.polled_s)
        if pushed:
            stack.hubspot.use_workflow_webhook(
                f"{processes.edge_url}/webhooks/hubspot", SANDBOX_HUBSPOT_CLIENT_SECRET
            )
            _one_lead(stack, form_id, "warmup-pushed", timeout_s)  # webserver's code server up
            figures.pushed_s = _latencies(stack, form_id, "pushed", latency_leads, rng, figures)
            stack.hubspot.use_workflow_webhook(None)
        addresses = {f"burst-{index}@{BENCH_DOMAIN}" for index in range(burst)}
        cpu_before = processes_cpu_seconds(processes.pids)
        log_offset = _size(home / "daemon.log")
        started = time.time()
        for address in sorted(addresses):
            add_submission(stack.hubspot.url, {"email": address, "firstname": "Burst"}, form_id)
        delivered = wait_for_delivery(stack.gmail.url, addresses, timeout_s=timeout_s)
        figures.burst_cpu_seconds = processes_cpu_seconds(processes.pids) - cpu_before
        finished = max(delivered.values(), default=time.time())
        figures.timed_out += len(addresses) - len(delivered)
        figures.burst_size, figures.burst_seconds = len(delivered), finished - started
        figures.burst_timeline = _runs_since(home, started)
        jobs = [job for job, *_ in figures.burst_timeline]
        figures.burst_lead_runs, figures.burst_batch_runs = (
            jobs.count(LEAD_JOB),
            jobs.count(BATCH_JOB),
        )
        figures.forked_worker_cpu_s = forked_worker_cpu(home / "daemon.log", log_offset)
    return figures


def _cpu_rate(pids: list[int], seconds: float) -> float:
    """CPU seconds per second the processes spend with no lead coming."""
    before = processes_cpu_seconds(pids)
    time.sleep(seconds)
    return (processes_cpu_seconds(pids) - before) / seconds


def _runs_since(
    home: Path, started: float
) -> list[tuple[str, int, float, float | None, float | None]]:
    """The lead runs created since `started`, oldest first: job, leads, and when each was
    queued, started and ended, in seconds from `started`."""
    from dagster import DagsterInstance, RunsFilter
    from dagster._core.instance.ref import InstanceRef

    since = datetime.fromtimestamp(started, tz=UTC)
    timeline = []
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        for job in (LEAD_JOB, BATCH_JOB):
            for record in instance.get_run_records(RunsFilter(job_name=job, created_after=since)):
                run = record.dagster_run
                leads = len(keys_of_batch_run(run)) if job == BATCH_JOB else 1
                timeline.append(
                    (
                        job,
                        leads,
                        record.create_timestamp.timestamp() - started,
                        record.start_time - started if record.start_time else None,
                        record.end_time - started if record.end_time else None,
                    )
                )
    return sorted(timeline, key=lambda run: run[2])


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def forked_worker_cpu(daemon_log: Path, offset: int) -> list[float]:
    """CPU seconds of each forked run worker the zygote reaped after `offset` of the log."""
    with daemon_log.open("rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    return [
        float(match.group(1))
        for match in re.finditer(re.escape(WORKER_EXIT_LOG_PREFIX) + r": .* cpu ([0-9.]+) s", text)
    ]


@dataclass(frozen=True)
class _Processes:
    pids: list[int]
    edge_url: str = ""


@contextmanager
def _product_processes(stack: SandboxStack, home: Path, pushed: bool) -> Iterator[_Processes]:
    """The daemon, and for the pushed path the webserver and the edge wired to it."""
    with ExitStack() as up:
        daemon = up.enter_context(running_daemon(stack, home))
        if not pushed:
            yield _Processes([daemon.pid])
            return
        env = daemon_environment(
            stack, home, {"HUBSPOT_CLIENT_SECRET": SANDBOX_HUBSPOT_CLIENT_SECRET}
        )
        webserver_url, webserver = up.enter_context(running_webserver(env, home / "webserver.log"))
        env["SALESAGENT_DAGSTER_WEBSERVER_URL"] = webserver_url
        edge_url, edge = up.enter_context(running_edge(env, home / "edge.log"))
        yield _Processes([daemon.pid, webserver.pid, edge.pid], edge_url)


def _latencies(
    stack: SandboxStack, form_id: str, path: str, leads: int, rng: random.Random,
    figures: BenchFigures,
) -> list[float]:  # fmt: skip
    latencies = []
    for index in range(leads):
        time.sleep(rng.uniform(0, GAP_MAX_SECONDS))
        latency = _one_lead(stack, form_id, f"{path}-{index}", LEAD_TIMEOUT_SECONDS)
        if latency is None:
            figures.timed_out += 1
        else:
            latencies.append(latency)
    return latencies


def _one_lead(stack: SandboxStack, form_id: str, name: str, timeout_s: float) -> float | None:
    """Submission accepted by the emulator -> Gmail recorded its draft; None: timed out."""
    address = f"{name}@{BENCH_DOMAIN}"
    submitted = time.time()
    add_submission(stack.hubspot.url, {"email": address, "firstname": "Bench"}, form_id)
    delivered_at = wait_for_delivery(stack.gmail.url, {address}, timeout_s=timeout_s)
    return delivered_at[address] - submitted if address in delivered_at else None


def format_figures(figures: BenchFigures) -> str:
    """The human-readable lines: settings, then each path's latency and the burst."""
    lines = instance_settings("sensor min interval 1 s")
    for path, values in (("polled", figures.polled_s), ("pushed", figures.pushed_s)):
        if values:
            lines.append(
                f"{path} latency submission -> Gmail draft over {len(values)} leads: "
                f"p50 {statistics.median(values):.1f} s, p95 {percentile(values, 0.95):.1f} s, "
                f"max {max(values):.1f} s   (target p95 <= 10 s)"
            )
    lines.append(
        f"burst: {figures.burst_size} leads drained in {figures.burst_seconds:.0f} s = "
        f"{figures.leads_per_minute:.1f} leads/min, {figures.cpu_per_lead:.2f} CPU-s per lead "
        "(daemon, code servers, run workers, webserver, edge)   (target >= 100 leads/min)"
    )
    lines.append(
        f"burst runs: {figures.burst_lead_runs} single-lead, {figures.burst_batch_runs} batch"
        " (job, leads, queued / started / ended, s from the burst's start):"
    )
    lines += [
        f"  {job} {leads:3d}  {queued:6.1f} / {_seconds(began)} / {_seconds(ended)}"
        for job, leads, queued, began, ended in figures.burst_timeline
    ]
    if figures.single_lead_cpu_s:
        lines.append(
            f"single-lead path: {figures.single_lead_cpu_s:.2f} CPU-s per polled lead beyond "
            "the processes' idle rate (each lead its own run)"
        )
    if figures.forked_worker_cpu_s:
        worker = figures.forked_worker_cpu_s
        lines.append(
            f"forked run workers: {len(worker)} in the burst, CPU per worker median "
            f"{statistics.median(worker):.2f} s, max {max(worker):.2f} s (their rusage)"
        )
    if figures.timed_out:
        lines.append(f"timed out: {figures.timed_out} leads never reached Gmail")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return f"{value:6.1f}" if value is not None else "     -"


def script_lines(figures: BenchFigures) -> list[str]:
    """The lines a script reads (`polled latency p50 X s p95 Y s`, ...): seconds, leads/min."""
    lines = [
        _latency_line(f"{path} latency", values)
        for path, values in (("polled", figures.polled_s), ("pushed", figures.pushed_s))
        if values
    ]
    lines.append(f"burst {figures.leads_per_minute:.1f} leads/min")
    lines.append(f"cpu per lead {figures.cpu_per_lead:.3f} s")
    if figures.single_lead_cpu_s:
        lines.append(f"single-lead cpu per lead {figures.single_lead_cpu_s:.3f} s")
    if figures.forked_worker_cpu_s:
        lines.append(f"forked worker cpu {statistics.median(figures.forked_worker_cpu_s):.3f} s")
    return lines


def _latency_line(label: str, values: list[float]) -> str:
    return f"{label} p50 {statistics.median(values):.2f} s p95 {percentile(values, 0.95):.2f} s"


@dataclass(frozen=True)
class FloorFigures:
    """The floor bench's tuned variant, from the JSON line it ends with."""

    p50_s: float
    p95_s: float
    leads_per_minute: float
    cpu_per_lead: float


def floor_script() -> Path | None:
    for folder in (REPO_ROOT.parent, REPO_ROOT.parent.parent):
        if (folder / FLOOR_SCRIPT).is_file():
            return folder / FLOOR_SCRIPT
    return None


def run_floor(script: Path, latency_leads: int, burst: int) -> FloorFigures:
    """`floor_bench.py --venv <this venv> --variants tuned` with our lead counts; its
    progress goes to stderr as it runs. Raises RuntimeError when it gave no figures."""
    command = [
        sys.executable, str(script), "--venv", sys.prefix, "--variants", "tuned",
        "--latency-n", str(latency_leads), "--burst-n", str(burst),
    ]  # fmt: skip
    # Its own process group, stopped as one if the bench is stopped meanwhile: the floor's
    # daemon and run workers must not outlive a Ctrl-C.
    with running_group(command, grace_seconds=30, stdout=subprocess.PIPE) as process:
        out, _ = process.communicate(timeout=3600)
    returncode = process.returncode
    lines = out.decode().strip().splitlines()
    try:
        tuned = json.loads(lines[-1])["results"][0]
        return FloorFigures(
            p50_s=float(tuned["latency"]["p50"]),
            p95_s=float(tuned["latency"]["p95"]),
            leads_per_minute=float(tuned["burst"]["leads_per_min"]),
            cpu_per_lead=float(tuned["burst"]["cpu"]["cpu_s_per_lead"]),
        )
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise RuntimeError(
            f"the floor bench gave no figures (exit {returncode}): {lines[-1:]}"
        ) from exc


def floor_lines(figures: BenchFigures, floor: FloorFigures) -> list[str]:
    """The floor's lines, then the product's figures over the floor's (latency and CPU: how
    many times the floor's; burst: the share of the floor's rate). Pushed latency is compared
    with the floor's polled one, the only latency the floor has; the single-lead path's CPU
    with the floor's per lead, whose every lead has its own run."""
    lines = [
        f"floor polled latency p50 {floor.p50_s:.2f} s p95 {floor.p95_s:.2f} s",
        f"floor burst {floor.leads_per_minute:.1f} leads/min",
        f"floor cpu per lead {floor.cpu_per_lead:.3f} s",
    ]
    for path, values in (("polled", figures.polled_s), ("pushed", figures.pushed_s)):
        if values:
            p50 = _ratio(statistics.median(values), floor.p50_s)
            p95 = _ratio(percentile(values, 0.95), floor.p95_s)
            lines.append(f"ratio {path} latency p50 {p50} p95 {p95}")
    lines.append(f"ratio burst {_ratio(figures.leads_per_minute, floor.leads_per_minute)}")
    lines.append(f"ratio cpu per lead {_ratio(figures.cpu_per_lead, floor.cpu_per_lead)}")
    if figures.single_lead_cpu_s:
        single = _ratio(figures.single_lead_cpu_s, floor.cpu_per_lead)
        lines.append(f"ratio single-lead cpu per lead {single}")
    return lines


def _ratio(ours: float, floor: float) -> str:
    return f"{ours / floor:.2f}" if floor else "n/a"

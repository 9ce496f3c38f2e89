"""`make bench`'s script-readable lines: ours, the floor's read from its JSON line, the ratios;
and the CPU count over the processes a bench starts, their children included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from salesagent_dagster.local.bench_daemon import processes_cpu_seconds
from salesagent_dagster.local.speed_bench import (
    BenchFigures,
    floor_lines,
    forked_worker_cpu,
    run_floor,
    script_lines,
)

FLOOR_ANSWER = {
    "results": [
        {
            "variant": "tuned",
            "latency": {"p50": 2.0, "p95": 4.0},
            "burst": {"leads_per_min": 100.0, "cpu": {"cpu_s_per_lead": 0.5}},
        }
    ]
}


def _figures() -> BenchFigures:
    return BenchFigures(
        polled_s=[3.0, 4.0, 5.0],
        pushed_s=[1.0, 1.0, 2.0],
        burst_size=50,
        burst_seconds=60.0,
        burst_cpu_seconds=50.0,
    )


def test_the_lines_a_script_reads_and_the_ratios_to_the_floor(tmp_path: Path):
    script = tmp_path / "floor_bench.py"  # a stand-in with the floor's output: progress, JSON
    script.write_text(f"print('table')\nprint({json.dumps(json.dumps(FLOOR_ANSWER))})\n")
    floor = run_floor(script, latency_leads=3, burst=50)

    assert script_lines(_figures()) == [
        "polled latency p50 4.00 s p95 5.00 s",
        "pushed latency p50 1.00 s p95 2.00 s",
        "burst 50.0 leads/min",
        "cpu per lead 1.000 s",
    ]
    assert floor_lines(_figures(), floor) == [
        "floor polled latency p50 2.00 s p95 4.00 s",
        "floor burst 100.0 leads/min",
        "floor cpu per lead 0.500 s",
        "ratio polled latency p50 2.00 p95 1.25",
        "ratio pushed latency p50 0.50 p95 0.50",
        "ratio burst 0.50",
        "ratio cpu per lead 2.00",
    ]


def test_the_single_lead_path_s_cpu_is_printed_and_compared_when_measured(tmp_path: Path):
    script = tmp_path / "floor_bench.py"
    script.write_text(f"print({json.dumps(json.dumps(FLOOR_ANSWER))})\n")
    floor = run_floor(script, latency_leads=3, burst=50)
    figures = _figures()
    figures.single_lead_cpu_s = 0.6

    assert "single-lead cpu per lead 0.600 s" in script_lines(figures)
    assert floor_lines(figures, floor)[-1] == "ratio single-lead cpu per lead 1.20"


def test_forked_workers_cpu_is_read_from_the_daemon_log_after_the_burst_began(tmp_path: Path):
    log = tmp_path / "daemon.log"
    exited = "salesagent zygote: run worker exited: pid {} run r status 0 cpu {} s\n"
    log.write_text(exited.format(1, "9.000") + "other line\n")
    offset = log.stat().st_size
    with log.open("a") as more:
        more.write(exited.format(2, "0.750") + "noise\n" + exited.format(3, "0.650"))

    figures = _figures()
    figures.forked_worker_cpu_s = forked_worker_cpu(log, offset)

    assert figures.forked_worker_cpu_s == [0.75, 0.65]
    assert script_lines(figures)[-1] == "forked worker cpu 0.700 s"


def test_a_floor_that_gave_no_figures_is_an_error_not_a_zero(tmp_path: Path):
    script = tmp_path / "floor_bench.py"
    script.write_text("import sys\nprint('no venv')\nsys.exit(1)\n")
    try:
        run_floor(script, latency_leads=3, burst=50)
    except RuntimeError as exc:
        assert "exit 1" in str(exc)
    else:
        raise AssertionError("no figures, no error")


def test_cpu_of_a_started_process_counts_its_reaped_children():
    burn = "sum(i * i for i in range(3_000_000))"  # a few tenths of a CPU second
    parent = subprocess.Popen(
        [
            sys.executable, "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', '{burn}']); "
            "print('done', flush=True); input()",
        ],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert parent.stdout is not None and parent.stdout.readline() == b"done\n"
        assert processes_cpu_seconds([parent.pid]) > 0.1  # the child's, in the parent's cutime
        assert processes_cpu_seconds([]) == 0.0
    finally:
        parent.communicate(b"\n", timeout=60)

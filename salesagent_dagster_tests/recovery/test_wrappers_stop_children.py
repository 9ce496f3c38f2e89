"""`salesagent ui`, `sandbox`, `serve` and `bench` end every process they started when they
are sent SIGTERM or Ctrl-C (issue 17): real processes, started, signalled, and every process
below them checked afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from salesagent_dagster.local.processes import (
    descendants_of,
    live_members,
    start_group,
    stop_group,
)
from salesagent_dagster_tests.deployment.production_stack import free_port

SALESAGENT = str(Path(sys.executable).with_name("salesagent"))
# How long a wrapper may take to end after the signal: its grace period, and a margin.
STOP_TIMEOUT_S = 60

# A parent and a grandchild that both ignore SIGTERM, as `dagster dev`'s processes do once
# their daemon threads have shut down.
STUBBORN_TREE = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
    subprocess.Popen([sys.executable, "-c", code])
    print("ready", flush=True)
    time.sleep(600)
    """
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait_until(predicate, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _command_lines(pids: list[int]) -> list[str]:
    lines = []
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        lines.append(raw.replace(b"\0", b" ").decode(errors="replace"))
    return lines


@pytest.fixture
def wrapper_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    home = tmp_path / "dagster_home"
    yield {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SALESAGENT_DATABASE_URL": f"sqlite:///{tmp_path / 'salesagent.db'}",
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }


@contextmanager
def _started(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`salesagent ARGS`, in a group of its own so that the test can clean up whatever a
    failing wrapper leaves."""
    process = start_group(
        [SALESAGENT, *args], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        yield process
    finally:
        stop_group(process, grace_seconds=1)


def _signal_and_check(
    process: subprocess.Popen[bytes], sig: signal.Signals, log: Path
) -> tuple[list[int], float]:
    """Send `sig` to the wrapper alone; return the descendants it had and how long it took to
    end; afterwards no descendant may be alive."""
    descendants = descendants_of(process.pid)
    started = time.monotonic()
    os.kill(process.pid, sig)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
        _wait_until(lambda: not any(_alive(p) for p in descendants), 10, "descendants to end")
    finally:
        survivors = [pid for pid in descendants if _alive(pid)]
        stop_group(process, grace_seconds=1)
    assert not survivors, (_command_lines(survivors), log.read_text()[-2000:])
    return descendants, time.monotonic() - started


def test_stop_group_kills_a_tree_that_ignores_sigterm() -> None:
    process = start_group([sys.executable, "-c", STUBBORN_TREE], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    _wait_until(lambda: len(descendants_of(process.pid)) == 1, 10, "the grandchild")
    grandchild = descendants_of(process.pid)[0]

    stop_group(process, grace_seconds=1)

    assert process.returncode == -signal.SIGKILL
    assert not _alive(grandchild)
    assert live_members(process.pid) == []


def test_sandbox_ends_on_sigterm(wrapper_env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "sandbox.log"
    ports = ["--hubspot-port", str(free_port()), "--gmail-port", str(free_port())]
    with _started(["sandbox", *ports], wrapper_env, log) as process:
        _wait_until(lambda: "export" in log.read_text(), 60, "the sandbox's env lines")

        _, seconds = _signal_and_check(process, signal.SIGTERM, log)

    assert process.returncode != 0
    print(f"sandbox ended {seconds:.2f} s after SIGTERM")


def test_serve_ends_on_sigterm_and_on_ctrl_c(wrapper_env: dict[str, str], tmp_path: Path) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        port = free_port()
        log = tmp_path / f"serve-{sig.name}.log"
        with _started(["serve", "--port", str(port)], wrapper_env, log) as process:
            url = f"http://127.0.0.1:{port}/healthz"
            _wait_until(lambda url=url: _answers(url), 60, "the edge")

            _, seconds = _signal_and_check(process, sig, log)

        print(f"serve ended {seconds:.2f} s after {sig.name}")


def test_ui_ends_dagster_dev_and_all_its_processes_on_sigterm(
    wrapper_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "ui.log"
    args = ["ui", "--no-seed", "--port", str(port)]
    args += ["--hubspot-port", str(free_port()), "--gmail-port", str(free_port())]
    with _started(args, wrapper_env, log) as process:
        # Up: the webserver answers and the daemon runs (what issue 17 saw left running).
        _wait_until(lambda: _answers(f"http://127.0.0.1:{port}/server_info"), 240, "the UI")
        _wait_until(
            lambda: any("dagster._daemon run" in c
                        for c in _command_lines(descendants_of(process.pid))),
            120,
            "the daemon",
        )  # fmt: skip

        descendants, seconds = _signal_and_check(process, signal.SIGTERM, log)

    assert len(descendants) >= 3  # dagster dev, its webserver, its daemon (and code servers)
    print(f"ui ended {len(descendants)} processes {seconds:.2f} s after SIGTERM")


def test_bench_ends_the_daemon_it_started_on_ctrl_c(
    wrapper_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "bench.log"
    bench = ["bench", "--latency-leads", "1", "--burst", "1"]
    with _started(bench, wrapper_env, log) as process:
        _wait_until(
            lambda: any("dagster-daemon" in c for c in _command_lines(descendants_of(process.pid))),
            120,
            "the bench's daemon",
        )

        descendants, seconds = _signal_and_check(process, signal.SIGINT, log)

    print(f"bench ended {len(descendants)} processes {seconds:.2f} s after SIGINT")


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=2)  # any answer: up (/healthz says 503 without HubSpot)
    except requests.RequestException:
        return False
    return True

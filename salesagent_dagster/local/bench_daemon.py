"""A fresh local instance with `dagster-daemon` running on it against the emulators: the
production path on this machine, as the daemon benches (`salesagent bench`, and
`bench --replies` for replies) measure it. For the pushed path, `dagster-webserver` on the same
instance and the edge (`salesagent serve`) run beside it, each its own process, and
`processes_cpu_seconds` adds up what every one of them (and their children) spent."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml

from salesagent_dagster.local.instance import INSTANCE_CONFIG, REPO_ROOT
from salesagent_dagster.local.processes import running_group
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER, SandboxStack
from salesagent_dagster.store.database import migrate

BENCH_DOMAIN = "bench-known-good.example"
LOCATION_NAME = "salesagent_dagster"  # workspace.yaml's, and production's
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
    stack: SandboxStack,
    home: Path,
    env: dict[str, str] | None = None,
    workspace: Path = REPO_ROOT / "workspace.yaml",
) -> Iterator[subprocess.Popen[bytes]]:
    """`dagster-daemon run` on `home`, configured for the emulators (leads at BENCH_DOMAIN are
    known-good); `env` adds to or overrides that configuration. Its log: home/daemon.log.
    `workspace`: the repository's (the daemon starts its own code server), or one naming a
    code server started apart (`code_server_workspace`), as production runs it."""
    daemon_env = daemon_environment(stack, home, env)
    daemon = Path(sys.executable).with_name("dagster-daemon")
    with _running(
        [str(daemon), "run", "-w", str(workspace)], daemon_env, home / "daemon.log", "a"
    ) as process:
        yield process


def daemon_environment(
    stack: SandboxStack, home: Path, env: dict[str, str] | None = None
) -> dict[str, str]:
    """What every process of a daemon bench runs with: the emulators, this instance and its
    app DB, leads at BENCH_DOMAIN known-good; `env` adds to or overrides it."""
    return {
        **os.environ,
        **stack.env,
        "DAGSTER_HOME": str(home),
        "SALESAGENT_KNOWN_GOOD": BENCH_DOMAIN,
        "SALESAGENT_MAILBOX_DAILY_LIMIT": "2000",
        "SALESAGENT_DATABASE_URL": app_db_url(home),
        **(env or {}),
    }


@contextmanager
def running_webserver(
    env: dict[str, str], log: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`dagster-webserver` on the repository's workspace (the location name production
    uses), on a free port, once its code location has loaded. Yields its URL."""
    port = free_port()
    webserver = Path(sys.executable).with_name("dagster-webserver")
    command = [
        str(webserver), "-w", str(REPO_ROOT / "workspace.yaml"),
        "-h", "127.0.0.1", "-p", str(port),
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with _running(command, env, log) as process:
        wait_for_location(url, process)
        yield url, process


@contextmanager
def running_edge(
    env: dict[str, str], log: Path, port: int | None = None, options: tuple[str, ...] = ()
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`salesagent serve` (the public surface: the HubSpot webhook) on `port` (a free one by
    default; the same one again for a restart), once `/healthz` answers; `options` are more
    of `serve`'s. Yields its URL. The log is appended to, so a restart keeps the first one's."""
    port = port or free_port()
    salesagent = Path(sys.executable).with_name("salesagent")
    url = f"http://127.0.0.1:{port}"
    command = [str(salesagent), "serve", "--port", str(port), *options]
    with _running(command, env, log, "a") as process:
        _wait_until(lambda: requests.get(f"{url}/healthz", timeout=5).ok, process, 60)
        yield url, process


def code_server_workspace(home: Path, port: int) -> Path:
    """A workspace naming the code server on `port` (production's topology: docker-compose's
    `user_code`, which the daemon and the webserver reach over gRPC)."""
    workspace = home / "workspace.yaml"
    entry = {"host": "127.0.0.1", "port": port, "location_name": LOCATION_NAME}
    workspace.write_text(yaml.safe_dump({"load_from": [{"grpc_server": entry}]}))
    return workspace


@contextmanager
def running_code_server(
    env: dict[str, str], log: Path, port: int
) -> Iterator[subprocess.Popen[bytes]]:
    """`dagster code-server start` for the code location on `port`, once it has loaded the
    definitions (it answers `list_repositories`). Runs the daemon launches start below it."""
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster), "code-server", "start", "-h", "127.0.0.1", "-p", str(port),
        "-m", "salesagent_dagster.definitions", "--location-name", LOCATION_NAME,
    ]  # fmt: skip
    with _running(command, env, log, "a") as process:
        _wait_until(lambda: _code_server_loaded(port), process, 180)
        yield process


def _code_server_loaded(port: int) -> bool:
    from dagster._grpc.client import DagsterGrpcClient

    try:
        DagsterGrpcClient(port=port, host="127.0.0.1").list_repositories()
    except Exception:  # still loading, or not listening yet
        return False
    return True


@contextmanager
def _running(
    command: list[str], env: dict[str, str], log: Path, mode: str = "w"
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` in a process group of its own, stopped as one after the block (SIGTERM, a
    grace period, SIGKILL): the daemon's code server and run workers go with it. Its stderr
    goes to `log` (`mode` "a" appends: a restarted process keeps what the first one said)."""
    with (
        log.open(mode + "b") as stderr,
        running_group(
            command,
            grace_seconds=30,
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        ) as process,
    ):
        yield process


def wait_for_location(url: str, process: subprocess.Popen[bytes], timeout_s: float = 180) -> None:
    """Until the webserver's every code location has loaded."""
    query = "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"

    def loaded() -> bool:
        answer = requests.post(f"{url}/graphql", json={"query": query}, timeout=5).json()
        entries = answer["data"]["workspaceOrError"]["locationEntries"]
        return bool(entries) and all(entry["loadStatus"] == "LOADED" for entry in entries)

    _wait_until(loaded, process, timeout_s)


def _wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], timeout_s: float
) -> None:
    name = Path(str(process.args[0])).name  # type: ignore[index]  # a list, always here
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            if ready():
                return
        except (requests.RequestException, KeyError, TypeError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{name} not ready in {timeout_s:.0f} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def processes_cpu_seconds(roots: list[int]) -> float:
    """CPU seconds (user + system) spent so far by these processes and every descendant
    alive now, plus what their reaped children spent (Linux /proc: a finished run worker's
    time is in its parent's cutime/cstime). Take it before and after a phase: the
    difference is what the bench's processes spent in it, whatever else runs on the box.
    0.0 where /proc is not there."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = sum(int(value) for value in fields[11:15])
    counted = set(roots)
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in counted}
        grew = not children <= counted
        counted |= children
    return sum(ticks.get(pid, 0) for pid in counted) / os.sysconf("SC_CLK_TCK")


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

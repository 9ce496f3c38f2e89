"""The zygote: one warm process per code location, forking a run worker per launch.

`python -m salesagent_dagster.run_launcher.zygote --control-fd N <location name>` (the name is
only for `ps`). The launcher sends its spec over the channel (the repository origin and the
instance ref, both Dagster-serialized; not on the command line, where an instance ref's
database password would be visible to `ps`). The zygote then imports Dagster, the modules a
run worker needs and the instance's storage classes, and builds the code location's
Definitions once: the ~1.5 CPU-s that a fresh run worker spends before its first step; and the
launcher's `preload_modules`, what the code imports lazily while a run executes (a client's
API modules), so that each worker does not import them again. It
answers with the project files it loaded (the launcher restarts it when one changes).

Fork safety is checked, not assumed: after warm-up no thread may be running but this one and
no file or socket may be open but stdio, the channel and multiprocessing's resource-tracker
pipe, which forked children are meant to share (a thread would not exist in the
child, its locks still held; an open connection would be shared by every worker). Opening the
instance (its SQLAlchemy engines, its connections) is left to each child. If the code location
breaks either rule (Sentry's transport thread, an engine connected at import) the zygote says
why and exits, and the launcher falls back to the default launcher.

Then it serves: each request forks a child that runs `worker.run_forked_worker`; the zygote
answers the child's pid, starts the child when the launcher says "go" (so that a launcher
that got no answer can fall back to the code server without the run also starting here), and
reaps its children (logging each one's CPU from its rusage, which
the bench reads). When the channel closes (the launcher disposed, retired this zygote for
fresher code, or its process died) it takes no more runs, waits for the ones in flight, and
exits, so no worker is left a zombie.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import select
import signal
import socket
import sys
import sysconfig
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from salesagent_dagster.run_launcher.channel import Channel, ChannelClosed
from salesagent_dagster.run_launcher.worker import GO, run_forked_worker

WORKER_EXIT_LOG_PREFIX = "salesagent zygote: run worker exited"
READY_LOG_PREFIX = "salesagent zygote: ready"
_REAP_INTERVAL_S = 0.5
# What a run worker imports after the code location, loaded once here instead of per run.
_RUN_WORKER_MODULES = (
    "dagster._cli.api",
    "dagster._cli.utils",
    "dagster._core.execution.api",
    "dagster._core.execution.context_creation_job",
    "dagster._core.execution.plan.execute_plan",
    "dagster._core.execution.plan.execute_step",
    "dagster._core.executor.in_process",
    "dagster._core.storage.compute_log_manager",
    "dagster._core.storage.local_compute_log_manager",
    "dagster._core.storage.runs.sqlite.sqlite_run_storage",
    "dagster._core.storage.event_log.sqlite.sqlite_event_log",
    "dagster._core.storage.schedules.sqlite.sqlite_schedule_storage",
    "dagster._core.execution.plan.active",
    "dagster._core.instance.factory",
    "dagster._core.storage.migration.utils",
    "dagster._core.system_config.composite_descent",
    # The filesystem IO manager's paths.
    "upath.implementations.local",
    "fsspec.implementations.local",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="salesagent-zygote")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("location", nargs="?", default="")
    args = parser.parse_args(argv)
    # Ctrl-C at a terminal reaches the daemon's whole group: the zygote ends when the daemon
    # closes the channel instead, after its runs; the workers reset SIGINT for themselves.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = Channel(socket.socket(fileno=args.control_fd))
    try:
        spec = channel.receive(None)
    except ChannelClosed:
        return 1
    loaded_at = time.time()
    try:
        warm_up(spec)
        check_fork_safe(args.control_fd)
    except Exception as error:  # any failure means: fall back, and say why
        traceback.print_exc()
        channel.send(
            {
                "ready": False,
                "error": f"{type(error).__name__}: {error}",
                # So that the launcher tries again once one of them changes (a fix saved).
                "loaded_at": loaded_at,
                "files": project_files(),
            }
        )
        return 1
    gc.collect()
    gc.freeze()  # what warm-up built stays out of every child's collections (and its pages shared)
    print(f"{READY_LOG_PREFIX}: pid {os.getpid()} {args.location}", file=sys.stderr, flush=True)
    channel.send(
        {"ready": True, "pid": os.getpid(), "loaded_at": loaded_at, "files": project_files()}
    )
    serve(channel)
    return 0


def warm_up(spec: dict[str, Any]) -> None:
    """Import what a run worker of this code location imports, and build its Definitions."""
    from dagster._core.instance import InstanceRef
    from dagster._core.origin import RepositoryPythonOrigin
    from dagster._serdes import deserialize_value
    from dagster._utils.hosted_user_process import recon_repository_from_origin

    origin = deserialize_value(spec["repository_origin"], RepositoryPythonOrigin)
    recon_repository_from_origin(origin).get_definition()
    instance_ref = deserialize_value(spec["instance_ref"], InstanceRef)
    preload = [str(name) for name in spec.get("preload_modules", [])]
    for name in [*_RUN_WORKER_MODULES, *_storage_modules(instance_ref), *preload]:
        importlib.import_module(name)
    # The worker's own entry point, so that a Dagster upgrade that moved it fails here.
    from dagster._cli.api import _execute_run_command_body  # noqa: F401


def _storage_modules(instance_ref: Any) -> list[str]:
    """The modules of the instance's configurable classes (storages, compute logs...): imported,
    never instantiated, since that would open their engines before the fork."""
    names = []
    for value in instance_ref._asdict().values():
        module = getattr(value, "module_name", None)
        if isinstance(module, str):
            names.append(module)
    return names


def check_fork_safe(control_fd: int) -> None:
    """Raise when forking now would copy a thread or an open file or socket into every run."""
    threads = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if threads:
        raise RuntimeError(f"threads running after warm-up, forking is unsafe: {threads}")
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return
    shared_by_design = _multiprocessing_tracker_fds()
    opened = []
    for entry in os.listdir(fd_dir):
        fd = int(entry)
        if fd in (0, 1, 2, control_fd) or fd in shared_by_design:
            continue
        try:
            target = os.readlink(fd_dir / entry)
        except OSError:
            continue  # the listing's own descriptor, closed by now
        opened.append(f"{fd} -> {target}")
    if opened:
        raise RuntimeError(f"descriptors open after warm-up, forking is unsafe: {opened}")


def _multiprocessing_tracker_fds() -> set[int]:
    """The pipe to multiprocessing's resource tracker, when warm-up started it (dbt's manifest
    makes a multiprocessing Lock, so the warehouse location does): every forked child is meant
    to share it, as children of multiprocessing's own "fork" start method do, and to register
    its semaphores with the parent's tracker. (`_fd` is the tracker's own attribute; read, never
    set, and absent from a Python that names it otherwise: then the pipe is refused as any
    other descriptor.)"""
    tracker_module = sys.modules.get("multiprocessing.resource_tracker")
    tracker = getattr(tracker_module, "_resource_tracker", None)
    fd = getattr(tracker, "_fd", None)
    return {fd} if isinstance(fd, int) else set()


def project_files() -> list[str]:
    """Source files loaded from outside the interpreter's installation (the project's own,
    editable installs included), and the project files that configure it: what a code change
    touches."""
    installed = {
        os.path.realpath(path)
        for path in {
            sys.prefix, sys.base_prefix, sys.exec_prefix,
            sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
        }
    }  # fmt: skip
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        real = os.path.realpath(path)
        if not any(real.startswith(prefix + os.sep) for prefix in installed):
            files.add(real)
    for name in ("pyproject.toml", ".env"):
        candidate = Path.cwd() / name
        if candidate.is_file():
            files.add(str(candidate.resolve()))
    return sorted(files)


def serve(channel: Channel) -> None:
    """Fork a worker per request; start it on the launcher's "go" (see `worker`)."""
    children: dict[int, str] = {}
    waiting: dict[int, int] = {}  # pid -> the write end of its go pipe
    control_fd = channel.sock.fileno()
    while True:
        _reap(children, block=False)
        if not channel.has_buffered_message():
            readable, _, _ = select.select([channel.sock], [], [], _REAP_INTERVAL_S)
            if not readable:
                continue
        try:
            request = channel.receive(None)
        except ChannelClosed:
            break
        if "go" in request:
            go_fd = waiting.pop(int(request["go"]), None)
            if go_fd is not None:
                os.write(go_fd, GO)
                os.close(go_fd)
            continue
        go_read, go_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(go_write)
            run_forked_worker(
                request["run_id"], request["instance_ref"], go_read,
                close_fds=[control_fd, *waiting.values()],
            )  # fmt: skip
        os.close(go_read)
        children[pid] = str(request["run_id"])
        waiting[pid] = go_write
        try:
            channel.send({"pid": pid})
        except ChannelClosed:
            break
    channel.close()
    for go_fd in waiting.values():
        os.close(go_fd)  # never told to go: those workers end without running anything
    while children:
        _reap(children, block=True)


def _reap(children: dict[int, str], block: bool) -> None:
    while children:
        try:
            pid, status, usage = os.wait4(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        run_id = children.pop(pid, "?")
        cpu = usage.ru_utime + usage.ru_stime
        print(
            f"{WORKER_EXIT_LOG_PREFIX}: pid {pid} run {run_id} "
            f"status {os.waitstatus_to_exitcode(status)} cpu {cpu:.3f} s",
            file=sys.stderr,
            flush=True,
        )
        if block:
            return


if __name__ == "__main__":
    sys.exit(main())

"""Child process trees that end when their wrapper ends (`salesagent ui`, `bench`).

Why a process group: `dagster dev` starts the webserver, the daemon and code servers, and
after "Daemon threads shut down" some of them ignore SIGTERM and SIGINT; a signal to the
one process we started leaves the rest running. So each child is started in a session of
its own (its own process group, out of reach of the terminal's Ctrl-C, which the wrapper
handles), and stopped as a group: SIGTERM, a grace period, then SIGKILL. Descendants found
in /proc before the first signal are killed too, in case one started a session of its own.

And why `exit_on_sigterm`: Python's default SIGTERM ends the process at once, without
running `finally` blocks, so the group would never be stopped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

DEFAULT_GRACE_SECONDS = 10.0
_POLL_SECONDS = 0.1
_PROC = Path("/proc")


def start_group(command: Sequence[str], **popen_kwargs: Any) -> subprocess.Popen[bytes]:
    """Start `command` as the leader of a new session (and process group)."""
    return subprocess.Popen(list(command), start_new_session=True, **popen_kwargs)


def stop_group(
    process: subprocess.Popen[bytes], grace_seconds: float = DEFAULT_GRACE_SECONDS
) -> None:
    """SIGTERM the process's group, wait up to `grace_seconds` for all of it to end, then
    SIGKILL whatever is left (the group and every descendant seen before the signal)."""
    group = process.pid
    descendants = descendants_of(group)
    _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or it stays a member of its group as a zombie
        if not live_members(group) and not any(_alive(pid) for pid in descendants):
            break
        time.sleep(_POLL_SECONDS)
    else:
        _signal_group(group, signal.SIGKILL)
        for pid in descendants:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_seconds)
    # SIGKILL is delivered asynchronously: return only once every member is gone (a loaded
    # machine may take a moment to schedule the exit), so no caller sees one still running.
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and (
        live_members(group) or any(_alive(pid) for pid in descendants)
    ):
        time.sleep(_POLL_SECONDS)


@contextlib.contextmanager
def running_group(
    command: Sequence[str], grace_seconds: float = DEFAULT_GRACE_SECONDS, **popen_kwargs: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` running in its own group for the block; the whole group stopped after."""
    process = start_group(command, **popen_kwargs)
    try:
        yield process
    finally:
        stop_group(process, grace_seconds)


@contextlib.contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM (and SIGHUP) raise SystemExit in the main thread, as Ctrl-C
    raises KeyboardInterrupt, so the `finally` blocks that stop children run."""

    def _exit(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, _exit) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def descendants_of(pid: int) -> list[int]:
    """Every live process below `pid` (children, grandchildren...), from /proc; empty where
    there is no /proc."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    pending = list(children.get(pid, []))
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def live_members(group: int) -> list[int]:
    """Processes of process group `group` that are not zombies."""
    if not _PROC.is_dir():
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [group]
    return [pid for pid, stat in _stats().items() if _group_of(stat) == group and _running(stat)]


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)


def _alive(pid: int) -> bool:
    stat = _read_stat(pid)
    return stat is not None and _running(stat)


def _parents() -> dict[int, int]:
    return {pid: int(stat[1]) for pid, stat in _stats().items() if _running(stat)}


def _stats() -> dict[int, list[str]]:
    """pid -> the fields of /proc/PID/stat after the command name (state, ppid, pgrp...)."""
    stats: dict[int, list[str]] = {}
    for entry in _PROC.iterdir() if _PROC.is_dir() else []:
        if entry.name.isdigit() and (stat := _read_stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    return stats


def _read_stat(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or parentheses.
    return text[text.rfind(")") + 2 :].split()


def _group_of(stat: list[str]) -> int:
    return int(stat[2])


def _running(stat: list[str]) -> bool:
    return stat[0] not in ("Z", "X")

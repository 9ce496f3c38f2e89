"""What a forked run worker does: become a process of its own, then run Dagster's own body of
`dagster api execute_run` on the run.

Reusing `_execute_run_command_body` (under `capture_interrupts` and `get_instance_for_cli`,
as `execute_run_command` does) keeps the run's events, engine events ("Started process for
run (pid: ...)"), compute log capture and status transitions exactly those of a worker
started by a launcher that runs `dagster api execute_run`. A private function of Dagster's:
the pin in constraints.txt is what keeps its signature; the zygote imports it at warm-up, so a
change fails the warm-up and launches fall back to the default launcher.

What the fork inherits and must not keep: the zygote's control socket (closed), its session
(a new one, so a terminal's Ctrl-C or a signal to the daemon's group does not reach the run,
as a code server's child is not reached either), its signal handlers (reset to Python's), the
`random` state (reseeded, or every worker would draw the same numbers). The zygote started no
threads and opened no connections before forking (it checks), so there is no lock held by a
thread that does not exist in the child and no socket shared with it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import sys
import traceback
from typing import NoReturn

from salesagent_dagster.run_launcher.worker_identity import RUN_WORKER_TAG, WorkerIdentity

GO = b"g"


def run_forked_worker(
    run_id: str, serialized_instance_ref: str, go_fd: int, close_fds: list[int]
) -> NoReturn:
    """The child's whole life after `os.fork()`: never returns to the zygote's loop.

    It waits for GO on `go_fd` first: the launcher sends "go" only once it knows this pid,
    and end of file (the launcher gave up on the zygote, or the zygote died) means the run
    may be launched another way, so this child must end without running it."""
    code = 1
    try:
        _detach(close_fds)
        code = execute_run(run_id, serialized_instance_ref) if _wait_for_go(go_fd) else 0
    except BaseException:  # the child must end here whatever happened
        traceback.print_exc()
    finally:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        # Not sys.exit: atexit handlers the zygote's imports registered are the zygote's.
        os._exit(code)


def _wait_for_go(go_fd: int) -> bool:
    try:
        return os.read(go_fd, len(GO)) == GO
    finally:
        os.close(go_fd)


def execute_run(run_id: str, serialized_instance_ref: str) -> int:
    """`dagster api execute_run`'s body on this run, after recording this process on it."""
    from dagster._cli.api import _execute_run_command_body
    from dagster._cli.utils import get_instance_for_cli
    from dagster._core.instance import InstanceRef
    from dagster._serdes import deserialize_value
    from dagster._utils.interrupts import capture_interrupts

    instance_ref = deserialize_value(serialized_instance_ref, InstanceRef)
    with capture_interrupts(), get_instance_for_cli(instance_ref=instance_ref) as instance:
        instance.add_run_tags(
            run_id, {RUN_WORKER_TAG: WorkerIdentity.of_this_process().tag_value()}
        )
        return _execute_run_command_body(
            run_id, instance, lambda _event: None, set_exit_code_on_failure=False
        )


def _detach(close_fds: list[int]) -> None:
    os.setsid()
    for fd in close_fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    random.seed()

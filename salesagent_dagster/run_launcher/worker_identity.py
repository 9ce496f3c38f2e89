"""Which process runs a run, recorded on the run so that any process can find it again.

The launcher that started a worker is not the only one asking: run monitoring (in the
daemon, maybe after a restart) checks its health, and `terminate` may come from the
webserver. So the identity lives in a run tag, written by the forked worker itself before the
run starts executing: a run that reached STARTED always has it. It holds the host, the pid and
the process's start time (Linux /proc `starttime`), so a pid reused by an unrelated process
after the worker died is not taken for it. No PII: three numbers and a host name.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

RUN_WORKER_TAG = "salesagent/run_worker"
_PROC = Path("/proc")


@dataclass(frozen=True)
class WorkerIdentity:
    host: str
    pid: int
    start_time: int  # clock ticks after boot; 0 where /proc is not there

    def tag_value(self) -> str:
        return f"{self.host}:{self.pid}:{self.start_time}"

    @classmethod
    def from_tag_value(cls, value: str) -> WorkerIdentity | None:
        host, _, rest = value.rpartition(":")
        host, _, pid = host.rpartition(":")
        try:
            return cls(host=host, pid=int(pid), start_time=int(rest))
        except ValueError:
            return None

    @classmethod
    def of_this_process(cls) -> WorkerIdentity:
        pid = os.getpid()
        return cls(host=socket.gethostname(), pid=pid, start_time=process_start_time(pid) or 0)

    def is_on_this_host(self) -> bool:
        return self.host == socket.gethostname()

    def is_alive(self) -> bool:
        """The same process (pid and start time) still runs and is not a zombie."""
        if not _PROC.is_dir():
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        fields = _stat_fields(self.pid)
        if fields is None or fields[0] in ("Z", "X"):
            return False
        return not self.start_time or int(fields[19]) == self.start_time


def process_start_time(pid: int) -> int | None:
    """A process's start time in clock ticks after boot, or None when it is not there."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: state is [0], starttime [19]."""
    try:
        return (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None

"""The launcher's end of one zygote: start it, ask it to fork a run, tell whether its code
is still the code on disk, retire it.

Freshness is checked at every launch, cheaply: the zygote reported the project files it
loaded and when it started loading them; a file modified since (or gone) means the code on
disk is not the code in the zygote (`dagster dev` reloaded, a deploy changed it), so the
launcher retires it and starts a fresh one before forking. A hundred or two `stat` calls: well
under a millisecond against the ~1.5 CPU-s a fresh run worker would spend.
"""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass, field

from salesagent_dagster.run_launcher.channel import Channel, ChannelClosed

ZYGOTE_MODULE = "salesagent_dagster.run_launcher.zygote"


class ZygoteUnavailable(Exception):
    """The zygote could not start, could not load the code location, or stopped answering.

    `load_failed`: it never became ready (the launcher waits before trying again), rather than
    a ready zygote that went away (the next launch simply starts a new one). `files` and
    `loaded_at`: what a zygote that could not load had loaded, and when it began, so that the
    launcher can try again as soon as one of those files changes."""

    def __init__(
        self,
        reason: str,
        files: list[str] | None = None,
        loaded_at: float = 0.0,
        load_failed: bool = False,
    ):
        super().__init__(reason)
        self.files = files or []
        self.loaded_at = loaded_at
        self.load_failed = load_failed

    def files_changed(self) -> bool:
        return bool(self.files) and any_changed_since(self.files, self.loaded_at)


def any_changed_since(files: list[str], since: float) -> bool:
    """A file modified at or after `since`, or gone."""
    for path in files:
        try:
            if os.stat(path).st_mtime >= since:
                return True
        except OSError:
            return True
    return False


@dataclass
class ZygoteClient:
    process: subprocess.Popen[bytes]
    channel: Channel
    location: str = ""
    files: list[str] = field(default_factory=list)
    loaded_at: float = 0.0

    @classmethod
    def start(
        cls,
        executable: str,
        location_name: str,
        serialized_repository_origin: str,
        serialized_instance_ref: str,
        ready_timeout_s: float,
        preload_modules: list[str] | None = None,
    ) -> ZygoteClient:
        """Start a zygote with `executable` (the code location's Python) and wait until it has
        loaded the code location; ZygoteUnavailable, with its reason, if it cannot."""
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [executable, "-m", ZYGOTE_MODULE, "--control-fd", str(theirs.fileno()),
                 location_name],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except OSError as error:
            ours.close()
            raise ZygoteUnavailable(
                f"could not start {executable}: {error}", load_failed=True
            ) from error
        finally:
            theirs.close()
        client = cls(process=process, channel=Channel(ours), location=location_name)
        try:
            client.channel.send(
                {
                    "repository_origin": serialized_repository_origin,
                    "instance_ref": serialized_instance_ref,
                    "preload_modules": preload_modules or [],
                }
            )
            ready = client.channel.receive(ready_timeout_s)
        except ChannelClosed as error:
            client.retire()
            raise ZygoteUnavailable(f"zygote did not load: {error}", load_failed=True) from error
        if not ready.get("ready"):
            client.retire()
            raise ZygoteUnavailable(
                f"zygote could not load: {ready.get('error')}",
                files=[str(path) for path in ready.get("files", [])],
                loaded_at=float(ready.get("loaded_at", 0.0)),
                load_failed=True,
            )
        client.files = [str(path) for path in ready.get("files", [])]
        client.loaded_at = float(ready["loaded_at"])
        return client

    def fork_run(self, run_id: str, serialized_instance_ref: str, timeout_s: float) -> int:
        """Ask for a worker for `run_id`; its pid."""
        if self.process.poll() is not None:
            raise ZygoteUnavailable(f"zygote exited with {self.process.returncode}")
        try:
            self.channel.send({"run_id": run_id, "instance_ref": serialized_instance_ref})
            pid = int(self.channel.receive(timeout_s)["pid"])
            # Only now may the worker start: had the answer not come, the caller retires this
            # zygote (closing the channel ends a worker still waiting) and falls back safely.
            self.channel.send({"go": pid})
        except ChannelClosed as error:
            raise ZygoteUnavailable(f"zygote stopped answering: {error}") from error
        return pid

    def is_fresh(self) -> bool:
        """Alive, and no file it loaded changed since it began loading."""
        return self.process.poll() is None and not any_changed_since(self.files, self.loaded_at)

    def retire(self) -> None:
        """Close the channel: the zygote takes no more runs, waits for its workers and exits
        by itself (`reap` collects it later, so that it is not left a zombie either)."""
        self.channel.close()

    def reap(self) -> bool:
        """True once the retired zygote has exited (and been waited for)."""
        return self.process.poll() is not None

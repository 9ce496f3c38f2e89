"""The zygotes of one instance in this process, whichever launcher object asks for them.

Why not the launcher's own attributes: `DagsterInstance.run_launcher` builds the launcher
lazily and without a lock, so the daemon's run queue, dequeuing from several threads
(`dequeue_use_threads`), can build two launchers for one instance when its first two runs are
dequeued in the same tick; one of them is used once and dropped. Had each launcher its own
zygotes, that run would start a second warm process (another ~1.5 CPU-s and the memory of a
loaded code location) that is never asked again and never retired. Keyed by the instance
and the launcher's settings, both launchers share one pool, and so one zygote per code
location.

Freshness, failures and retirement are the pool's: a zygote whose files changed is retired
and replaced; one that could not load is not tried again for `retry_failed_s` or until one
of its files changes; one that went away after loading is replaced at the next launch.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import ClassVar

from salesagent_dagster.run_launcher.zygote_client import ZygoteClient, ZygoteUnavailable

logger = logging.getLogger("salesagent.run_launcher")


@dataclass(frozen=True)
class ZygoteSettings:
    """What a pool starts its zygotes with; part of the pool's key."""

    ready_timeout_s: float
    retry_failed_s: float
    preload_modules: tuple[str, ...]


@dataclass
class _Failure:
    error: ZygoteUnavailable
    at: float


@dataclass
class ZygotePool:
    """One zygote per code origin, for one instance in this process (module docstring)."""

    settings: ZygoteSettings
    _zygotes: dict[str, ZygoteClient] = field(default_factory=dict)
    _failures: dict[str, _Failure] = field(default_factory=dict)
    _retired: list[ZygoteClient] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    _pools: ClassVar[dict[tuple[str, ZygoteSettings], ZygotePool]] = {}
    _pools_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def of(cls, instance_ref: str, settings: ZygoteSettings) -> ZygotePool:
        """The pool of the instance whose serialized ref is `instance_ref`, made on first use."""
        with cls._pools_lock:
            pool = cls._pools.get((instance_ref, settings))
            if pool is None:
                pool = cls._pools[(instance_ref, settings)] = cls(settings)
            return pool

    @classmethod
    def close(cls, instance_ref: str, settings: ZygoteSettings) -> None:
        """The instance is being disposed: retire its zygotes (each finishes the runs it forked
        and exits) and forget the pool."""
        with cls._pools_lock:
            pool = cls._pools.pop((instance_ref, settings), None)
        if pool is not None:
            pool._retire_all()

    def fork_run(
        self,
        key: str,
        executable: str,
        location: str,
        run_id: str,
        instance_ref: str,
        answer_timeout_s: float,
    ) -> int:
        """Fork a worker for `run_id` from the zygote of code origin `key` (started, or
        replaced, first if need be); its pid. ZygoteUnavailable when there is none to fork from:
        the caller launches through the code server instead."""
        with self._lock:
            try:
                zygote = self._zygote_for(key, executable, location, instance_ref)
                return zygote.fork_run(run_id, instance_ref, answer_timeout_s)
            except ZygoteUnavailable as error:
                self._forget(key, error)
                raise

    def _zygote_for(
        self, key: str, executable: str, location: str, instance_ref: str
    ) -> ZygoteClient:
        self._reap_retired()
        zygote = self._zygotes.get(key)
        if zygote is not None and not zygote.is_fresh():
            logger.info("Code changed or zygote gone: starting a fresh zygote")
            self._retire(self._zygotes.pop(key))
            zygote = None
        if zygote is not None:
            return zygote
        failure = self._failures.get(key)
        if (
            failure
            and time.time() - failure.at < self.settings.retry_failed_s
            and not failure.error.files_changed()
        ):
            raise failure.error
        # The same location under another origin (its workspace entry changed): that zygote
        # will not be asked again.
        for other in [k for k, z in self._zygotes.items() if location and z.location == location]:
            self._retire(self._zygotes.pop(other))
        zygote = ZygoteClient.start(
            executable, location, key, instance_ref,
            self.settings.ready_timeout_s, list(self.settings.preload_modules),
        )  # fmt: skip
        self._zygotes[key] = zygote
        self._failures.pop(key, None)
        return zygote

    def _forget(self, key: str, error: ZygoteUnavailable) -> None:
        zygote = self._zygotes.pop(key, None)
        if zygote is not None:
            self._retire(zygote)
        known = self._failures.get(key)
        if error.load_failed and (known is None or known.error is not error):
            self._failures[key] = _Failure(error=error, at=time.time())

    def _retire(self, zygote: ZygoteClient) -> None:
        zygote.retire()
        self._retired.append(zygote)

    def _reap_retired(self) -> None:
        self._retired = [zygote for zygote in self._retired if not zygote.reap()]

    def _retire_all(self) -> None:
        with self._lock:
            for zygote in self._zygotes.values():
                self._retire(zygote)
            self._zygotes.clear()
            self._reap_retired()

"""`ForkingRunLauncher`: each run worker is forked from a warm zygote of its code location
instead of being started as a fresh Python by the code server.

Why: a fresh run worker spends ~1.5-1.9 CPU-s on the interpreter, `import dagster`, the code
location's imports and instance set-up before ~0.7 CPU-s of real work, and Dagster's code
server starts every run with multiprocessing "spawn" (hard-coded), so every lead pays that
bill; on 2 cores it caps a burst near 50 leads/min (issue 15, DESIGN section 5). A forked
worker starts with all of that already done.

    run_launcher:
      module: salesagent_dagster.run_launcher.forking
      class: ForkingRunLauncher
      config:                       # all optional
        zygote_ready_timeout_seconds: 120
        retry_failed_zygote_seconds: 300
        preload_modules: [hubspot.crm.owners]   # imported lazily during runs: import once

What differs from `DefaultRunLauncher`, and why that is acceptable on one machine:

- Run workers are children of a zygote that is a child of the process that launched the run
  (the daemon's run queue), not of the code server. They inherit the daemon's environment,
  which is the environment the daemon gives its code servers; the worker loads a `.env` in
  its working directory as `dagster api execute_run` does. The code server still serves
  everything else (snapshots, sensors, schedules).
- The worker runs Dagster's own `dagster api execute_run` body, so events, engine events,
  compute logs and status transitions are those of a run started by a launcher that runs that
  command (K8s, ECS, Docker): no gRPC `StartRun` round trip, and the run is executed with
  `inject_env_vars=True` as those launchers do.
- Its pid is found from the run tag `salesagent/run_worker` (host, pid, start time), so run
  monitoring detects a killed worker (`check_run_worker_health`) and `terminate` can signal
  it from the webserver as well, as long as both are on the worker's host: on another host
  the worker is reported RUNNING, unchecked (it cannot be seen from there).
- Fresh code: before every fork the zygote's loaded files are checked against the disk; a
  change starts a new zygote (see `zygote_client`).

What it falls back on: if the run has no code origin, or the zygote cannot start, cannot load
the code location, is not fork-safe, or stops answering, the run is launched by
`DefaultRunLauncher` through the code server (an engine event on the run says why). A zygote
that could not load is not tried again for `retry_failed_zygote_seconds` or until one of its
files changes; one that went away after loading is replaced at the next launch.

No resume (`supports_resume_run` is False): a run whose worker died is failed by run
monitoring and re-run by run retries, as a new run; the never-twice send ledger (DESIGN I-1)
makes that safe. On many machines this launcher is not the scale path: use the EcsRunLauncher
or the Kubernetes launcher (README, DESIGN section 6).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Mapping
from typing import Any, Self

from dagster import DefaultRunLauncher, Field, IntSource
from dagster._core.launcher import (
    CheckRunHealthResult,
    LaunchRunContext,
    RunLauncher,
    WorkerStatus,
)
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.storage.tags import GRPC_INFO_TAG
from dagster._serdes import ConfigurableClass, ConfigurableClassData, serialize_value

from salesagent_dagster.run_launcher.worker_identity import RUN_WORKER_TAG, WorkerIdentity
from salesagent_dagster.run_launcher.zygote_client import ZygoteUnavailable
from salesagent_dagster.run_launcher.zygote_pool import ZygotePool, ZygoteSettings

logger = logging.getLogger("salesagent.run_launcher")
_FORK_ANSWER_TIMEOUT_S = 30.0


class ForkingRunLauncher(RunLauncher, ConfigurableClass):
    """Forks each run worker from a warm process per code location (module docstring)."""

    def __init__(
        self,
        inst_data: ConfigurableClassData | None = None,
        zygote_ready_timeout_seconds: int = 120,
        retry_failed_zygote_seconds: int = 300,
        preload_modules: list[str] | None = None,
    ) -> None:
        self._inst_data = inst_data
        # The zygotes are the instance's, shared by every launcher object built for it in
        # this process (`zygote_pool` says why).
        self._settings = ZygoteSettings(
            ready_timeout_s=float(zygote_ready_timeout_seconds),
            retry_failed_s=float(retry_failed_zygote_seconds),
            preload_modules=tuple(preload_modules or []),
        )
        self._fallback = DefaultRunLauncher()
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            "zygote_ready_timeout_seconds": Field(
                IntSource,
                is_required=False,
                default_value=120,
                description="How long a new zygote may take to load the code location.",
            ),
            "retry_failed_zygote_seconds": Field(
                IntSource,
                is_required=False,
                default_value=300,
                description="After a zygote failed to load, launch through the code server "
                "for this long before trying a zygote again.",
            ),
            "preload_modules": Field(
                [str],
                is_required=False,
                default_value=[],
                description="Modules the code imports lazily while a run executes, imported "
                "once in the zygote instead of in every worker. A module that fails to import "
                "fails the zygote (and launches fall back to the code server).",
            ),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> Self:
        return cls(inst_data=inst_data, **config_value)

    # -- launching ---------------------------------------------------------------------------

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        origin = run.job_code_origin
        if origin is None:
            self._launch_through_code_server(context, "the run has no code origin")
            return
        repository_origin = origin.repository_origin
        instance_ref = serialize_value(self._instance.get_ref())
        location = run.remote_job_origin.location_name if run.remote_job_origin else ""
        try:
            ZygotePool.of(instance_ref, self._settings).fork_run(
                serialize_value(repository_origin), repository_origin.executable_path,
                location, run.run_id, instance_ref, _FORK_ANSWER_TIMEOUT_S,
            )  # fmt: skip
        except ZygoteUnavailable as error:
            self._launch_through_code_server(context, str(error))

    def _launch_through_code_server(self, context: LaunchRunContext, reason: str) -> None:
        logger.warning("Forking run launcher fell back to the default launcher: %s", reason)
        self._instance.report_engine_event(
            f"Forking run launcher: {reason}; launching through the code server instead.",
            context.dagster_run,
            cls=self.__class__,
        )
        self._fallback_launcher().launch_run(context)

    def _fallback_launcher(self) -> DefaultRunLauncher:
        if not self._fallback.has_instance:
            self._fallback.register_instance(self._instance)
        return self._fallback

    # -- the worker, seen from any process ---------------------------------------------------

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        identity = _worker_of(run)
        if identity is None:
            # Launched through the code server (the fallback) or by another launcher: not a
            # process this launcher can see. Unchecked rather than failed.
            how = "the code server" if GRPC_INFO_TAG in run.tags else "another launcher"
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"launched by {how}: unchecked")
        if not identity.is_on_this_host():
            return CheckRunHealthResult(
                WorkerStatus.RUNNING, f"run worker on host {identity.host}: unchecked"
            )
        if identity.is_alive():
            return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=str(identity.pid))
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"run worker process {identity.pid} is gone (killed or crashed)",
            run_worker_id=str(identity.pid),
        )

    def terminate(self, run_id: str) -> bool:
        """As the default launcher: mark the run CANCELING, then ask the worker to stop (SIGTERM,
        which `dagster api execute_run` handles as an interrupt); the worker marks it CANCELED."""
        run = self._instance.get_run_by_id(run_id)
        if not run or run.is_finished:
            return False
        identity = _worker_of(run)
        if identity is None and GRPC_INFO_TAG in run.tags:
            return self._fallback_launcher().terminate(run_id)
        self._instance.report_run_canceling(run)
        if identity is None or not identity.is_on_this_host() or not identity.is_alive():
            self._instance.report_engine_event(
                "Forking run launcher: no live run worker on this host to send termination to.",
                run,
                cls=self.__class__,
            )
            return False
        try:
            os.kill(identity.pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        return True

    @property
    def supports_resume_run(self) -> bool:
        return False

    def dispose(self) -> None:
        """Stop the instance's zygotes: each finishes the runs it forked and exits."""
        if self.has_instance:
            ZygotePool.close(serialize_value(self._instance.get_ref()), self._settings)
        self._fallback.dispose()

    def join(self, timeout: int = 30) -> None:
        self._fallback.join(timeout)


def _worker_of(run: DagsterRun) -> WorkerIdentity | None:
    value = run.tags.get(RUN_WORKER_TAG)
    return WorkerIdentity.from_tag_value(value) if value else None

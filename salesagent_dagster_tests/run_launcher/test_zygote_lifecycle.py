"""The forking launcher's lifecycle on a tiny code location of its own (one op that naps),
launched from this process as the daemon's run queue would: terminate cancels a forked run; a
code change on disk starts a fresh zygote, and the run executes the new code; a code location
the zygote cannot fork from (a thread started at import) is launched through the code server
instead, and the run still succeeds. Real processes throughout: the code server, the zygote,
the forked workers."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.storage.tags import GRPC_INFO_TAG
from dagster._core.test_utils import create_run_for_test
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._serdes import serialize_value

from salesagent_dagster.run_launcher.worker_identity import RUN_WORKER_TAG, WorkerIdentity
from salesagent_dagster.run_launcher.zygote import READY_LOG_PREFIX
from salesagent_dagster.run_launcher.zygote_client import ZygoteClient
from salesagent_dagster_tests.run_launcher.daemon_harness import FORKING_LAUNCHER

LOCATION = "napping"
CODE = """
import os, threading, time
from pathlib import Path
from dagster import Definitions, in_process_executor, job, op

VERSION = {version}
if os.environ.get("NAPPING_THREAD_AT_IMPORT"):
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()

@op
def nap():
    Path(os.environ["NAPPING_OUTPUT"]).write_text(str(VERSION))
    deadline = time.monotonic() + float(os.environ.get("NAPPING_SECONDS", "0"))
    while time.monotonic() < deadline:
        time.sleep(0.05)

@job(executor_def=in_process_executor)
def napping_job():
    nap()

defs = Definitions(jobs=[napping_job])
"""


@dataclass
class Napping:
    instance: DagsterInstance
    workspace: WorkspaceProcessContext
    code: Path
    output: Path

    def create_run(self) -> DagsterRun:
        location = self.workspace.create_request_context().get_code_location(LOCATION)
        (repository,) = location.get_repositories().values()
        remote_job = repository.get_full_job("napping_job")
        return create_run_for_test(
            self.instance,
            "napping_job",
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
        )

    def launch(self) -> DagsterRun:
        """As the daemon's run queue does: the instance's launcher, with a workspace."""
        run = self.create_run()
        return self.instance.launch_run(run.run_id, self.workspace.create_request_context())

    def wait_for(self, run_id: str, predicate, timeout_s: float = 120) -> DagsterRun:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            run = self.instance.get_run_by_id(run_id)
            if run is not None and predicate(run):
                return run
            time.sleep(0.05)
        raise AssertionError(
            f"run {run_id} did not get there: {self.instance.get_run_by_id(run_id)}"
        )

    def finished(self, run_id: str) -> DagsterRun:
        return self.wait_for(run_id, lambda run: run.is_finished)


@contextmanager
def napping_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage: dict[str, object] | None = None
) -> Iterator[Napping]:
    """The napping location on an instance of its own (SQLite, or `storage` as dagster.yaml
    spells it) whose launcher is the forking one."""
    code = tmp_path / "napping.py"
    code.write_text(CODE.format(version=1))
    workspace_file = tmp_path / "workspace.yaml"
    entry = {
        "relative_path": str(code),
        "location_name": LOCATION,
        "working_directory": str(tmp_path),
    }
    workspace_file.write_text(yaml.safe_dump({"load_from": [{"python_file": entry}]}))
    home = tmp_path / "home"
    home.mkdir()
    config: dict[str, object] = {"run_launcher": FORKING_LAUNCHER, "telemetry": {"enabled": False}}
    if storage is not None:
        config["storage"] = storage
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("NAPPING_OUTPUT", str(tmp_path / "output"))
    with (
        DagsterInstance.from_config(str(home)) as instance,
        WorkspaceProcessContext(instance, WorkspaceFileTarget([str(workspace_file)])) as workspace,
    ):
        try:
            yield Napping(instance, workspace, code, tmp_path / "output")
        finally:
            instance.run_launcher.dispose()


@pytest.mark.timeout(300)
def test_terminate_cancels_a_forked_run(tmp_path, monkeypatch):
    monkeypatch.setenv("NAPPING_SECONDS", "120")
    with napping_location(tmp_path, monkeypatch) as napping:
        run = napping.launch()
        started = napping.wait_for(
            run.run_id, lambda r: r.status == DagsterRunStatus.STARTED and napping.output.exists()
        )
        worker = WorkerIdentity.from_tag_value(started.tags[RUN_WORKER_TAG])
        assert napping.instance.run_launcher.terminate(run.run_id)
        assert napping.finished(run.run_id).status == DagsterRunStatus.CANCELED
        assert worker is not None
        deadline = time.monotonic() + 30
        while worker.is_alive():  # reaped by the zygote, not left a zombie
            assert time.monotonic() < deadline
            time.sleep(0.05)


@pytest.mark.timeout(300)
def test_a_code_change_starts_a_fresh_zygote_that_runs_the_new_code(tmp_path, monkeypatch, capfd):
    with napping_location(tmp_path, monkeypatch) as napping:
        first = napping.launch()
        assert napping.finished(first.run_id).status == DagsterRunStatus.SUCCESS
        assert napping.output.read_text() == "1"

        napping.code.write_text(CODE.format(version=2))
        os.utime(napping.code, (time.time() + 1, time.time() + 1))  # past a coarse clock
        second = napping.finished(napping.launch().run_id)
        assert second.status == DagsterRunStatus.SUCCESS
        assert napping.output.read_text() == "2"
        assert RUN_WORKER_TAG in second.tags
    ready = [line for line in capfd.readouterr().err.splitlines() if READY_LOG_PREFIX in line]
    assert len(ready) == 2, ready


@pytest.mark.timeout(300)
def test_a_location_the_zygote_cannot_fork_from_is_launched_through_the_code_server(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("NAPPING_THREAD_AT_IMPORT", "1")
    with napping_location(tmp_path, monkeypatch) as napping:
        run = napping.launch()
        finished = napping.finished(run.run_id)
        messages = [entry.message for entry in napping.instance.all_logs(run.run_id)]
        assert finished.status == DagsterRunStatus.SUCCESS
        assert GRPC_INFO_TAG in finished.tags and RUN_WORKER_TAG not in finished.tags
        (why,) = [m for m in messages if "Forking run launcher:" in m]
        assert "threads running after warm-up" in why

        # Fixed and saved: the next launch tries a zygote again, without waiting out the
        # retry interval, and is forked.
        monkeypatch.delenv("NAPPING_THREAD_AT_IMPORT")
        os.utime(napping.code, (time.time() + 1, time.time() + 1))
        fixed = napping.finished(napping.launch().run_id)
        assert fixed.status == DagsterRunStatus.SUCCESS and RUN_WORKER_TAG in fixed.tags


@pytest.mark.timeout(300)
def test_a_forked_worker_never_told_to_go_ends_without_running_the_run(
    tmp_path, monkeypatch, capfd
):
    """The launcher falls back to the code server when the zygote's answer does not come; a
    worker the zygote forked meanwhile must then not run the run as well."""
    with napping_location(tmp_path, monkeypatch) as napping:
        run = napping.create_run()
        origin = run.job_code_origin.repository_origin  # type: ignore[union-attr]
        instance_ref = serialize_value(napping.instance.get_ref())
        zygote = ZygoteClient.start(
            origin.executable_path, LOCATION, serialize_value(origin), instance_ref, 120
        )
        zygote.channel.send({"run_id": run.run_id, "instance_ref": instance_ref})
        pid = int(zygote.channel.receive(30)["pid"])
        zygote.retire()  # no "go": as a launcher that gave up waiting
        assert zygote.process.wait(60) == 0
        unstarted = napping.instance.get_run_by_id(run.run_id)
    assert unstarted is not None and unstarted.status == DagsterRunStatus.NOT_STARTED
    assert not napping.output.exists()
    assert f"pid {pid} run {run.run_id} status 0" in capfd.readouterr().err


def _event_shape(instance: DagsterInstance, run_id: str) -> list[tuple[str, str]]:
    """Each Dagster event's type, and an engine event's message without its numbers (pids,
    durations): what must not differ between a forked worker and the code server's."""
    shape = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or "Forking run launcher:" in entry.message:
            continue
        message = re.sub(r"[0-9.]+", "N", entry.message) if event.is_engine_event else ""
        shape.append((event.event_type_value, message))
    return shape


def _exited(instance: DagsterInstance, run_id: str) -> bool:
    return any("Process for run exited" in entry.message for entry in instance.all_logs(run_id))


@pytest.mark.timeout(300)
def test_a_forked_run_writes_the_events_a_code_server_run_writes(tmp_path, monkeypatch):
    with napping_location(tmp_path, monkeypatch) as napping:
        forked = napping.finished(napping.launch().run_id)
        # A zygote started from now on refuses (a thread at import): the next launch, after a
        # code change retires the warm one, goes through the code server.
        monkeypatch.setenv("NAPPING_THREAD_AT_IMPORT", "1")
        os.utime(napping.code, (time.time() + 1, time.time() + 1))
        served = napping.finished(napping.launch().run_id)
        assert RUN_WORKER_TAG in forked.tags and GRPC_INFO_TAG in served.tags
        assert forked.status == served.status == DagsterRunStatus.SUCCESS
        for run in (forked, served):  # a worker's last event comes after the run's status
            napping.wait_for(run.run_id, lambda r: _exited(napping.instance, r.run_id))
        assert _event_shape(napping.instance, forked.run_id) == _event_shape(
            napping.instance, served.run_id
        )


@pytest.mark.timeout(300)
def test_a_zygote_that_died_is_replaced_at_the_next_launch(tmp_path, monkeypatch, capfd):
    with napping_location(tmp_path, monkeypatch) as napping:
        first = napping.finished(napping.launch().run_id)
        (ready,) = [
            line for line in capfd.readouterr().err.splitlines() if READY_LOG_PREFIX in line
        ]
        zygote_pid = int(ready.split("pid ")[1].split()[0])
        os.kill(zygote_pid, signal.SIGKILL)
        second = napping.finished(napping.launch().run_id)
    assert first.status == second.status == DagsterRunStatus.SUCCESS
    assert RUN_WORKER_TAG in second.tags
    assert READY_LOG_PREFIX in capfd.readouterr().err


@pytest.mark.timeout(300)
def test_two_launchers_built_for_one_instance_share_its_zygote(tmp_path, monkeypatch, capfd):
    """`DagsterInstance.run_launcher` is built lazily without a lock: the daemon's run queue,
    dequeuing two runs in one tick from two threads, can build two launchers and use both.
    They must fork from one zygote, not start a second warm process nobody retires."""
    with napping_location(tmp_path, monkeypatch) as napping:
        first = napping.finished(napping.launch().run_id)
        twin = napping.instance.get_ref().run_launcher
        assert twin is not None and twin is not napping.instance.run_launcher
        twin.register_instance(napping.instance)
        napping.instance._run_launcher = twin  # as the race leaves it: the other one is used
        second = napping.finished(napping.launch().run_id)
    assert first.status == second.status == DagsterRunStatus.SUCCESS
    assert RUN_WORKER_TAG in first.tags and RUN_WORKER_TAG in second.tags
    ready = [line for line in capfd.readouterr().err.splitlines() if READY_LOG_PREFIX in line]
    assert len(ready) == 1, ready


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_a_run_on_a_postgres_instance_is_forked_and_its_events_stored(
    tmp_path, monkeypatch, postgres_databases
):
    """Production keeps the instance on PostgreSQL: the zygote imports its storage classes but
    must not connect before the fork (one connection shared by every worker), so each forked
    worker opens its own and the run is not sent through the code server."""
    storage = {"postgres": {"postgres_url": postgres_databases()}}
    with napping_location(tmp_path, monkeypatch, storage) as napping:
        assert type(napping.instance.run_storage).__name__ == "PostgresRunStorage"
        runs = [napping.launch() for _ in range(2)]
        finished = [napping.finished(run.run_id) for run in runs]
        messages = [e.message for run in runs for e in napping.instance.all_logs(run.run_id)]
    assert [run.status for run in finished] == [DagsterRunStatus.SUCCESS] * 2
    assert all(RUN_WORKER_TAG in run.tags for run in finished)
    assert not [m for m in messages if "Forking run launcher:" in m]
    assert napping.output.read_text() == "1"

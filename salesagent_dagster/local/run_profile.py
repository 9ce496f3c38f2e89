"""Where one lead's run worker spends its CPU: `salesagent bench --run-profile`.

A run worker is a fresh Python that imports the code location, builds its Definitions,
initialises the job's resources, runs each step and writes every event; on the embedded
instance it does that for every lead, so its cost is the product's CPU per lead beyond
Dagster's floor. This starts the emulators on a fresh SQLite instance, stores one
submission through the real intake sensor, then executes that lead's `process_lead` run in a
new interpreter (`python -X importtime`, `execute_job` on the module's code pointer: what
`dagster api execute_run` does, without the CLI's own start) and prints where its CPU went:
imports by package (and which of our modules pulled each heavy one in), the Definitions
build, each step, the event writes, engines created and statements per database. With
`--floor DIR` the same child runs the floor project (a code location of the same shape with
empty asset bodies) for the ratio.

The child is this module run as a script: nothing above `child_main` imports more than the
standard library, so the child's first phase measures the interpreter and Dagster alone.
Figures, never assertions; the shared machine adds noise, so `repeat` gives medians.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Heavy third parties: a top-level module name -> the label the breakdown gives it.
HEAVY_PACKAGES = {
    "dagster": "dagster",
    "dagster_shared": "dagster",
    "dagster_pipes": "dagster",
    "dagster_dbt": "dagster-dbt + dbt",
    "dbt": "dagster-dbt + dbt",
    "dbt_common": "dagster-dbt + dbt",
    "dbt_semantic_interfaces": "dagster-dbt + dbt",
    "agate": "dagster-dbt + dbt",
    "networkx": "dagster-dbt + dbt",
    "pandas": "pandas + numpy",
    "numpy": "pandas + numpy",
    "pyarrow": "pandas + numpy",
    "duckdb": "duckdb",
    "matplotlib": "matplotlib",
    "PIL": "matplotlib",
    "googleapiclient": "google api client + auth",
    "google": "google api client + auth",
    "google_auth_httplib2": "google api client + auth",
    "httplib2": "google api client + auth",
    "uritemplate": "google api client + auth",
    "hubspot": "hubspot client",
    "sqlalchemy": "sqlalchemy",
    "alembic": "alembic + mako",
    "mako": "alembic + mako",
    "sentry_sdk": "sentry-sdk",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "pydantic_settings": "pydantic",
    "salesagent_dagster": "salesagent_dagster (ours)",
}
# Whose first import is worth naming: what a lead run should not need at all (alembic is
# not among them: Dagster's own SQL storage imports it, in the floor's run worker too).
WATCHED = ("dagster_dbt", "dbt", "pandas", "numpy", "duckdb", "matplotlib", "sentry_sdk", "scipy")
LEAD_JOB = "process_lead"
CHILD_MODULE = "salesagent_dagster.local.run_profile"
PRODUCT_MODULE = "salesagent_dagster.definitions"
FLOOR_MODULE = "floor_defs"
FLOOR_JOB = "floor_job"
PARTITION_TAG = "dagster/partition"


# -- the child: one run worker, measured -------------------------------------------------------


def child_main(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs in the fresh interpreter: the phases of a run worker, CPU-timed."""
    phases: dict[str, float] = {"interpreter start": time.process_time()}

    def phase(name: str, started: float) -> float:
        now = time.process_time()
        phases[name] = phases.get(name, 0.0) + now - started
        return now

    mark = time.process_time()
    import dagster  # noqa: F401 (the phase measures its import)

    mark = phase("import dagster", mark)
    engines, statements = _count_sqlalchemy()
    mark = phase("harness", mark)
    if spec["working_directory"]:
        sys.path.insert(0, spec["working_directory"])
    for module in spec.get("preimport", []):
        __import__(module)
    mark = phase("import code location modules", mark)
    __import__(spec["module"])
    mark = phase("definitions build", mark)

    from dagster import DagsterInstance, execute_job
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    repository = ReconstructableRepository.for_module(
        spec["module"], spec.get("attribute", "defs"), spec["working_directory"]
    )
    job = repository.get_reconstructable_job(spec["job"])
    instance = DagsterInstance.get()
    steps = _record_event_writes(instance)
    mark = phase("instance + job pointer", mark)
    result = execute_job(job, instance, tags=spec["tags"])
    mark = phase("run (execute_job)", mark)
    events = Counter(
        (entry.dagster_event.event_type_value if entry.dagster_event else "log message")
        for entry in instance.all_logs(result.run_id)
    )
    instance.dispose()
    return {
        "success": result.success,
        "phases": phases,
        "steps": steps.step_cpu(),
        "event_write_cpu": steps.write_cpu,
        "events_written": steps.written,
        "events_by_type": dict(events),
        "engines": dict(engines),
        "statements": dict(statements),
        "total_cpu": time.process_time(),
    }


def _count_sqlalchemy() -> tuple[Counter[str], Counter[str]]:
    """Engines created and statements run, per database file (its name only, never a path
    or a password): installed before the code location is imported, so every engine it or
    Dagster makes is counted."""
    import sqlalchemy
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    engines: Counter[str] = Counter()
    statements: Counter[str] = Counter()
    original = sqlalchemy.create_engine

    def counting_create_engine(url: Any, *args: Any, **kwargs: Any) -> Any:
        engines[_database_name(str(url))] += 1
        return original(url, *args, **kwargs)

    sqlalchemy.create_engine = counting_create_engine

    def before_execute(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        name = _database_name(str(conn.engine.url))
        statements[name] += 1
        if "alembic_version" in statement:
            statements[f"{name}: alembic_version reads"] += 1

    event.listen(Engine, "before_cursor_execute", before_execute)
    return engines, statements


def _database_name(url: str) -> str:
    if url.startswith("sqlite"):
        name = Path(url.split("///", 1)[-1]).name or ":memory:"
        # Dagster's per-run event log shards are named by run id: one label for them all.
        return "run event log (<run_id>.db)" if len(name) == 39 else name
    return url.split("://", 1)[0]


@dataclass
class _EventWrites:
    """Every event the run stores, with the CPU clock when it was written and what the
    write cost; step CPU is from a step's STEP_START to its end."""

    stamps: list[tuple[str, str | None, float]] = field(default_factory=list)
    write_cpu: float = 0.0
    written: int = 0

    def step_cpu(self) -> dict[str, float]:
        started: dict[str, float] = {}
        spent: dict[str, float] = {}
        for kind, step, stamp in self.stamps:
            if step is None:
                continue
            if kind == "STEP_START":
                started[step] = stamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_UP_FOR_RETRY") and step in started:
                spent[step] = spent.get(step, 0.0) + stamp - started.pop(step)
        return spent


def _record_event_writes(instance: Any) -> _EventWrites:
    writes = _EventWrites()
    storage = instance.event_log_storage
    original = storage.store_event

    def store_event(entry: Any) -> None:
        before = time.process_time()
        original(entry)
        after = time.process_time()
        writes.write_cpu += after - before
        writes.written += 1
        dagster_event = entry.dagster_event
        if dagster_event is not None:
            writes.stamps.append((dagster_event.event_type_value, dagster_event.step_key, after))

    storage.store_event = store_event
    return writes


# -- the parent: the instance, the emulators, one lead ---------------------------------------


@dataclass(frozen=True)
class ChildProfile:
    """One run worker's figures, plus the import breakdown parsed from -X importtime."""

    label: str
    figures: dict[str, Any]
    imports_ms: dict[str, float]  # package label -> self time of its modules
    first_imported_by: dict[str, str]  # watched package -> our module that pulled it in
    rusage_cpu: float  # the child's CPU as the parent's rusage saw it (user + sys)


def run_profile(repeat: int = 1, floor_dir: Path | None = None) -> list[ChildProfile]:
    """Profile one product lead run `repeat` times (a new lead each time), and the floor."""
    profiles = _product_profiles(repeat)
    if floor_dir is not None:
        profiles += [_floor_profile(floor_dir) for _ in range(repeat)]
    return profiles


def _product_profiles(repeat: int) -> list[ChildProfile]:
    from salesagent_dagster.local.bench_daemon import BENCH_DOMAIN, app_db_url, bench_home
    from salesagent_dagster.local.demo_seed import add_submission
    from salesagent_dagster.local.sandbox_stack import running_sandbox

    with bench_home("salesagent-run-profile-") as home, running_sandbox() as stack:
        env = {
            **stack.env,
            "DAGSTER_HOME": str(home),
            "SALESAGENT_DATABASE_URL": app_db_url(home),
            "SALESAGENT_KNOWN_GOOD": BENCH_DOMAIN,
        }
        profiles = []
        for index in range(repeat):
            add_submission(
                stack.hubspot.url, {"email": f"profile-{index}@{BENCH_DOMAIN}", "firstname": "P"}
            )
            tags = _one_lead_run_tags(env)
            spec = {
                "module": PRODUCT_MODULE,
                "working_directory": None,
                "job": LEAD_JOB,
                "tags": tags,
                "preimport": _product_modules(),
            }
            profiles.append(_run_child("product", spec, env))
    return profiles


def _product_modules() -> list[str]:
    """What definitions.py imports (the lead location's folders), listed without importing
    it: so the child can time the imports apart from the build."""
    from salesagent_dagster.code_locations import lead_folders

    modules = [f"salesagent_dagster.defs.{name}.definitions" for name in lead_folders()]
    return ["salesagent_dagster.settings", "salesagent_dagster.observability.setup", *modules]


def _one_lead_run_tags(env: dict[str, str]) -> dict[str, str]:
    """Evaluate the intake sensor once (here, in the parent, with the child's settings):
    the submission is stored in the inbox and gets its partition, as the daemon would do;
    returns the run's tags (opaque keys only)."""
    from salesagent_dagster.settings import environment_overridden

    with environment_overridden(env):
        from dagster import DagsterInstance, SensorResult, build_sensor_context

        from salesagent_dagster.definitions import build_definitions

        definitions = build_definitions()
        instance = DagsterInstance.get()
        sensor = definitions.resolve_sensor_def("hubspot_submissions")
        with build_sensor_context(
            instance=instance,
            definitions=definitions,
            sensor_name=sensor.name,
            resources=dict(definitions.resources or {}),
        ) as context:
            answer = sensor(context)
        if not isinstance(answer, SensorResult) or not answer.run_requests:
            raise RuntimeError(f"the intake sensor asked for no run: {answer!r}")
        for request in answer.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        run = answer.run_requests[0]
        key = str(run.partition_key)
        instance.dispose()
    return {
        **run.tags,
        PARTITION_TAG: key,
        "dagster/run_key": run.run_key or key,
        "dagster/sensor_name": sensor.name,
    }


def _floor_profile(floor_dir: Path) -> ChildProfile:
    """The floor project's run worker for one partition, on its own tuned instance."""
    import shutil

    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    with tempfile.TemporaryDirectory(prefix="floor-run-profile-") as scratch:
        home = Path(scratch)
        shutil.copyfile(floor_dir / "dagster.yaml", home / "dagster.yaml")
        env = {
            "DAGSTER_HOME": str(home),
            "FLOOR_SPOOL": str(home / "spool"),
            "FLOOR_DONE": str(home / "done"),
        }
        key = f"floor-{time.time_ns()}"
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        instance.add_dynamic_partitions("submissions", [key])
        instance.dispose()
        spec = {
            "module": FLOOR_MODULE,
            "working_directory": str(floor_dir),
            "job": FLOOR_JOB,
            "tags": {PARTITION_TAG: key},
        }
        return _run_child("floor", spec, env)


def _run_child(label: str, spec: dict[str, Any], env: dict[str, str]) -> ChildProfile:
    with tempfile.TemporaryDirectory(prefix="run-profile-") as scratch:
        out = Path(scratch) / "figures.json"
        before = os.times()
        completed = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", CHILD_MODULE, json.dumps(spec), str(out)],
            env={**os.environ, **env},
            cwd=spec["working_directory"] or None,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        after = os.times()
        if completed.returncode != 0 or not out.exists():
            tail = "\n".join(completed.stderr.splitlines()[-20:])
            raise RuntimeError(f"the {label} run worker failed ({completed.returncode}):\n{tail}")
        figures = json.loads(out.read_text())
    imports, first_by = parse_importtime(completed.stderr)
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return ChildProfile(label, figures, imports, first_by, cpu)


def parse_importtime(stderr: str) -> tuple[dict[str, float], dict[str, str]]:
    """-X importtime's lines -> (ms of self time per package label, and for each watched
    package the nearest of our modules above its first import)."""
    rows: list[tuple[int, str, int]] = []  # (depth, module, self us)
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _cumulative, rest = line.split("|", 2)
        name = rest.rstrip()[1:]  # one space after the bar, then two per level
        depth = (len(name) - len(name.lstrip(" "))) // 2
        try:
            own = int(self_us.split(":", 1)[1])
        except ValueError:
            continue  # the header line
        rows.append((depth, name.strip(), own))
    by_label: dict[str, float] = {}
    for _, module, own in rows:
        label = HEAVY_PACKAGES.get(module.split(".", 1)[0], "other")
        by_label[label] = by_label.get(label, 0.0) + own / 1000
    first_by: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for depth, module, _ in reversed(rows):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        top = module.split(".", 1)[0]
        if top in WATCHED and top not in first_by and module == top:
            ours = [m for _, m in stack if m.startswith("salesagent_dagster")]
            first_by[top] = ours[-1] if ours else (stack[-1][1] if stack else "(top level)")
        stack.append((depth, module))
    return dict(by_label), first_by


def profile_report(floor_dir: str | None, repeat: int = 3) -> str:
    """`salesagent bench --run-profile [FLOOR_DIR]`: the profile, formatted."""
    return format_profiles(run_profile(repeat, Path(floor_dir) if floor_dir else None))


# -- the report ------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    import statistics

    return statistics.median(values) if values else 0.0


def format_profiles(profiles: list[ChildProfile]) -> str:
    """One column per label (product, floor): medians over the repetitions."""
    labels = list(dict.fromkeys(p.label for p in profiles))
    by_label = {label: [p for p in profiles if p.label == label] for label in labels}

    def row(name: str, value: Any) -> str:
        """`value(profile)` per profile, its median per label, one line."""
        cells = "".join(
            f"{_median([value(p) for p in by_label[label]]):>12.3f}" for label in labels
        )
        return f"{name:<44}{cells}"

    lines = [
        "one lead's run worker, fresh interpreter, embedded SQLite instance; "
        f"{len(by_label[labels[0]])} run(s) each, medians, CPU seconds (user + sys)",
        "",
        f"{'':<44}" + "".join(f"{label:>12}" for label in labels),
        row("whole process (rusage)", lambda p: p.rusage_cpu),
    ]
    for name in dict.fromkeys(n for p in profiles for n in p.figures["phases"]):
        lines.append(row(f"  {name}", lambda p, n=name: p.figures["phases"].get(n, 0.0)))
    lines.append(row("  of the run: event writes", lambda p: p.figures["event_write_cpu"]))
    for step in dict.fromkeys(s for p in profiles for s in p.figures["steps"]):
        lines.append(row(f"  step {step}", lambda p, s=step: p.figures["steps"].get(s, 0.0)))
    lines += ["", "imports by package, self time (ms, -X importtime, wall clock):"]
    first = by_label[labels[0]]
    packages = sorted(
        {k for p in profiles for k in p.imports_ms},
        key=lambda k: -_median([p.imports_ms.get(k, 0.0) for p in first]),
    )
    for package in packages:
        lines.append(row(f"  {package}", lambda p, k=package: p.imports_ms.get(k, 0.0)))
    for label in labels:
        lines += ["", *_run_facts(label, by_label[label][-1])]
    return "\n".join(lines)


def _run_facts(label: str, profile: ChildProfile) -> list[str]:
    """Counts of one run (the last): events by type, engines, statements per database."""
    figures = profile.figures
    events = sorted(figures["events_by_type"].items(), key=lambda kv: -kv[1])
    lines = [
        f"{label}: run {'succeeded' if figures['success'] else 'FAILED'}; "
        f"{figures['events_written']} events written",
        "  events: " + ", ".join(f"{k} {v}" for k, v in events),
        "  engines created: "
        + (", ".join(f"{k} {v}" for k, v in sorted(figures["engines"].items())) or "none"),
        "  statements: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["statements"].items())),
    ]
    if profile.first_imported_by:
        lines.append(
            "  loaded though a lead run needs none of it: "
            + ", ".join(f"{k} (first by {v})" for k, v in sorted(profile.first_imported_by.items()))
        )
    return lines


if __name__ == "__main__":
    _figures = child_main(json.loads(sys.argv[1]))
    Path(sys.argv[2]).write_text(json.dumps(_figures))

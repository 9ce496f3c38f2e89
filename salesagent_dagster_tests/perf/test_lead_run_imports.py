"""What a lead's run worker imports: the code location loads without the libraries only
the warehouse, the report and Sentry use (issue 15: they were ~1 CPU-s of every lead's
run, and dbt ~0.9 CPU-s more until the warehouse got its own code location), and the run
profile reads `-X importtime` as it should."""

import json
import os
import subprocess
import sys
from pathlib import Path

from salesagent_dagster.local.run_profile import parse_importtime
from salesagent_dagster.local.sandbox_stack import sandbox_env

# Loaded only by the steps that need them (the warehouse export and report, the experiment
# scoring, Sentry with a DSN), never by importing the code location.
NOT_FOR_A_LEAD_RUN = (
    "pandas", "duckdb", "numpy", "matplotlib", "sentry_sdk", "scipy",
    # The warehouse's code location (salesagent_dagster.code_locations).
    "dbt", "dagster_dbt", "networkx", "sqlglot",
)  # fmt: skip


def test_loading_the_code_location_imports_none_of_the_warehouse_libraries(
    tmp_path: Path,
) -> None:
    probe = (
        "import sys, json, salesagent_dagster.definitions; "
        f"print(json.dumps([m for m in {list(NOT_FOR_A_LEAD_RUN)!r} if m in sys.modules]))"
    )
    env = {
        **os.environ,
        **sandbox_env("http://127.0.0.1:9", "http://127.0.0.1:9"),
        "DAGSTER_HOME": str(tmp_path),
    }
    env.pop("SENTRY_DSN", None)
    answer = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(answer.stdout.strip().splitlines()[-1]) == []


def test_importtime_lines_are_summed_by_package_and_traced_to_our_importer() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |        100 |       pandas.core",
            "import time:       400 |        500 |     pandas",
            "import time:       250 |        750 |   salesagent_dagster.store.warehouse",
            "import time:      1000 |       1000 |   dagster",
            "import time:        50 |       1800 | salesagent_dagster.definitions",
        ]
    )
    by_package, first_by = parse_importtime(stderr)
    assert by_package == {
        "pandas + numpy": 0.5,
        "salesagent_dagster (ours)": 0.3,
        "dagster": 1.0,
    }
    assert first_by == {"pandas": "salesagent_dagster.store.warehouse"}

"""The production topology as processes: user-code gRPC server, daemon and webserver over
PostgreSQL and an S3-compatible server, each started with its docker-compose.yml command.
A form submission becomes a successful run, its compute logs land in the bucket, and the
webserver's GraphQL API reports it; `salesagent health --readiness` (the compose
healthcheck) passes against the same stack."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster_tests.deployment.production_stack import (
    ProductionStack,
    production_stack,
    wait_for,
)

pytestmark = pytest.mark.postgres

RUNS_QUERY = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId jobName status } }
    ... on PythonError { message }
  }
}
"""
# Generous: two cores shared with other work; the run itself takes seconds.
RUN_TIMEOUT_S = 180


@pytest.fixture
def stack(
    sandbox: Any, tmp_path: Path, postgres_databases: Any, s3_endpoint: str
) -> Iterator[ProductionStack]:
    with production_stack(
        tmp_path, postgres_databases(), postgres_databases(), s3_endpoint
    ) as running:
        yield running


def s3_client(stack: ProductionStack) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=stack.env["AWS_ENDPOINT_URL_S3"],
        aws_access_key_id=stack.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=stack.env["AWS_SECRET_ACCESS_KEY"],
        region_name=stack.env["AWS_DEFAULT_REGION"],
    )


def runs(stack: ProductionStack, **run_filter: Any) -> list[dict[str, Any]]:
    answer = stack.graphql(RUNS_QUERY, {"filter": run_filter})["runsOrError"]
    assert answer["__typename"] == "Runs", answer
    return list(answer["results"])


def test_a_submission_runs_to_success_with_compute_logs_in_s3_and_graphql_reporting_it(
    stack: ProductionStack, sandbox: Any
) -> None:
    bucket = stack.env["DAGSTER_COMPUTE_LOGS_BUCKET"]
    s3 = s3_client(stack)
    s3.create_bucket(Bucket=bucket)  # compose's create_bucket service

    migrated = stack.run("migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    for service in ("user_code", "warehouse_code", "daemon", "webserver"):
        stack.start(service)
    add_submission(sandbox.hubspot.url, {"email": "aiko@brightpath.io", "firstname": "Aiko"})

    def finished_run() -> dict[str, Any] | None:
        stack.assert_running()
        # The lead's run; other sensors (the weekly voice refresh) start their own runs too.
        done = [
            r
            for r in runs(stack)
            if r["jobName"] == "process_lead" and r["status"] in ("SUCCESS", "FAILURE", "CANCELED")
        ]
        return done[0] if done else None

    try:
        run = wait_for("a finished run", finished_run, RUN_TIMEOUT_S, interval_s=0.5)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{stack.logs()}") from exc
    assert (run["jobName"], run["status"]) == ("process_lead", "SUCCESS"), stack.logs()
    assert runs(stack, runIds=[run["runId"]]) == [run]

    listed = s3.list_objects_v2(Bucket=bucket, Prefix=stack.env["DAGSTER_COMPUTE_LOGS_PREFIX"])
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert [key for key in keys if run["runId"] in key], keys

    probe = subprocess.run(
        ["salesagent", "health", "--readiness", "--json"], env=stack.env, cwd=stack.home,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    report = json.loads(probe.stdout)
    assert probe.returncode == 0, [check for check in report["checks"] if not check["ok"]]
    assert report["status"] == "ready"
    assert {check["check"] for check in report["checks"] if check["ok"]} == {
        "settings", "app-db", "dagster", "hubspot", "gmail", "s3",
    }  # fmt: skip

    # GDPR erasure on the production stores: Postgres run storage, S3 compute logs.
    erased = subprocess.run(
        ["salesagent", "erase", "aiko@brightpath.io", "--yes", "--actor", "dpo"],
        env=stack.env, cwd=stack.home, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert erased.returncode == 0, erased.stdout + erased.stderr
    assert "the address was found nowhere" in erased.stdout
    assert runs(stack, runIds=[run["runId"]]) == []
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=stack.env["DAGSTER_COMPUTE_LOGS_PREFIX"])
    assert not [item["Key"] for item in listed.get("Contents", []) if run["runId"] in item["Key"]]

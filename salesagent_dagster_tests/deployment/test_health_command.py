"""`salesagent health`, the containers' probe: liveness asks nothing of anyone; readiness
names each dependency that is not there and what to do about it."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import boto3
from click.testing import CliRunner

from salesagent_dagster.cli import main


def probe(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["health", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def failed(report: dict[str, Any]) -> dict[str, str]:
    return {check["check"]: check["fix"] for check in report["checks"] if not check["ok"]}


def test_liveness_is_alive_without_any_dependency(monkeypatch):
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:9/none")
    assert probe("--liveness") == (0, {"status": "alive", "checks": []})


def test_readiness_waits_for_the_migration_then_passes(sandbox, dagster_home, monkeypatch):
    # A configured app DB the deploy has not migrated yet (the embedded one under
    # DAGSTER_HOME is migrated when the home is prepared).
    monkeypatch.setenv("SALESAGENT_DATABASE_URL", f"sqlite:///{dagster_home / 'deployed.db'}")
    code, report = probe("--readiness")
    assert (code, report["status"]) == (1, "not_ready")
    assert failed(report) == {
        "app-db": "run `salesagent db upgrade`, or set SALESAGENT_DATABASE_URL"
    }

    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    code, report = probe("--readiness")
    assert (code, report["status"]) == (0, "ready"), failed(report)
    names = [check["check"] for check in report["checks"]]
    assert names == ["settings", "app-db", "dagster", "hubspot", "gmail", "s3"]


def test_readiness_names_the_missing_bucket_and_bad_credentials(
    sandbox, dagster_home, s3_endpoint, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "moto-test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "moto-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_BUCKET", "compute-logs")
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "wrong")
    skip = ("--skip", "app-db", "--skip", "gmail")

    code, report = probe("--readiness", *skip)
    assert code == 1
    assert failed(report) == {
        "s3": "create it, or correct DAGSTER_COMPUTE_LOGS_BUCKET",
        "hubspot": "check HUBSPOT_ACCESS_TOKEN (private app with forms and crm scopes) and "
        "HUBSPOT_API_BASE_URL",
    }

    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="compute-logs")
    code, report = probe("--readiness", *skip, "--skip", "hubspot")
    assert (code, failed(report)) == (0, {})


def test_a_dependency_that_never_answers_fails_readiness_within_the_timeout(
    sandbox, dagster_home, monkeypatch
):
    with socket.socket() as black_hole:  # accepts connections, never answers
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen()
        port = black_hole.getsockname()[1]
        monkeypatch.setenv("HUBSPOT_API_BASE_URL", f"http://127.0.0.1:{port}")
        code, report = probe("--readiness", "--timeout", "2", "--skip", "app-db")
    # The probe's checks that were still running go on in their threads (the black hole, now
    # closed, ends HubSpot's): wait for them here, so that none is still opening this test's
    # instance while the next test builds its own.
    for thread in threading.enumerate():
        if thread.name.startswith("health-"):
            thread.join(60)
            assert not thread.is_alive(), thread.name
    assert code == 1
    hubspot = next(check for check in report["checks"] if check["check"] == "hubspot")
    # Reported at the probe's deadline, not after the client's 15 s HTTP timeout.
    assert hubspot["detail"] == "no answer within 2 s"
    assert "check its host, port and firewall" in hubspot["fix"]

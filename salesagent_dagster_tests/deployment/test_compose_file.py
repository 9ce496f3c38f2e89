"""docker-compose.yml and the Dockerfile checked without a Docker engine: the services of the
production topology, what they are built from, their environment, start order and health
checks, and that every command they run exists in this package and its Dagster install."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.compute_log_manager import ComputeLogManager
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

from salesagent_dagster.code_locations import LEAD_LOCATION, WAREHOUSE_LOCATION
from salesagent_dagster.local.instance import REPO_ROOT
from salesagent_dagster_tests.deployment.production_stack import (
    IMAGE_DAGSTER_HOME,
    PRODUCTION_DIR,
    VENV_BIN,
    compose_services,
)

DAGSTER_SERVICES = ("migrate", "user_code", "webserver", "daemon")
EDGE_SERVICES = ("edge", "edge_internal")
DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()


def test_the_production_topology_is_all_there():
    services = compose_services()
    assert set(services) == {
        "postgres", "minio", "create_bucket", "migrate", "user_code", "warehouse_code",
        "webserver", "webserver_readonly", "daemon", "edge", "edge_internal", "proxy", "prometheus",
        "alertmanager", "grafana",
    }  # fmt: skip
    for name in ("postgres", "minio", "create_bucket", "proxy", "prometheus", "alertmanager",
                 "grafana"):  # fmt: skip
        image = services[name]["image"]
        assert re.search(r":[\w.-]+$", image) and not image.endswith(":latest"), image
    for name in DAGSTER_SERVICES + EDGE_SERVICES:
        service = services[name]
        assert service["build"] == {"context": ".", "dockerfile": "Dockerfile"}
        assert service["image"] == "salesagent-dagster:latest"  # one image for all of them


def test_the_image_is_slim_pinned_and_not_root():
    assert DOCKERFILE.startswith("#") and "\nFROM python:3.11-slim\n" in DOCKERFILE
    assert "pip install -c constraints.txt" in DOCKERFILE
    user = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert user and user[-1] not in ("root", "0")
    # The instance and workspace files the commands below name are baked into DAGSTER_HOME.
    assert f"DAGSTER_HOME={IMAGE_DAGSTER_HOME}" in DOCKERFILE
    assert "COPY deploy/production/dagster.yaml deploy/production/workspace.yaml" in DOCKERFILE
    # The installed package cannot find dbt_outreach by its own path: the image ships the
    # project, names it, and prepares the manifest the code location reads (never parses).
    assert "COPY dbt_outreach ./dbt_outreach" in DOCKERFILE
    assert "ENV SALESAGENT_DBT_PROJECT_DIR=/opt/salesagent/dbt_outreach" in DOCKERFILE
    assert re.search(r"^RUN dbt parse .*--project-dir dbt_outreach", DOCKERFILE, re.MULTILINE)


def test_dagster_services_share_the_production_environment():
    services = compose_services()
    for name in DAGSTER_SERVICES:
        service = services[name]
        assert service["env_file"] == ".env"
        environment = service["environment"]
        for variable in ("DAGSTER_POSTGRES_URL", "SALESAGENT_DATABASE_URL"):
            # psycopg2 named: SQLAlchemy 2.1 maps postgresql:// to psycopg3 (DESIGN.md).
            assert environment[variable].startswith("postgresql+psycopg2://"), variable
        assert environment["DAGSTER_POSTGRES_URL"].endswith("@postgres:5432/dagster")
        assert environment["SALESAGENT_DATABASE_URL"].endswith("@postgres:5432/salesagent")
        assert environment["AWS_ENDPOINT_URL_S3"].endswith("http://minio:9000}")
        assert environment["DAGSTER_CODE_SERVER_HOST"] == "user_code"
        assert environment["DAGSTER_CODE_SERVER_PORT"] == "4000"
    create_app_db = (PRODUCTION_DIR / "postgres-init" / "create-app-db.sql").read_text()
    assert "CREATE DATABASE salesagent;" in create_app_db
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "dagster"


def test_services_start_in_order_and_report_their_health():
    services = compose_services()

    def waits_for(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert waits_for("create_bucket") == {"minio": "service_healthy"}
    assert waits_for("migrate") == {"postgres": "service_healthy"}
    for code_server in ("user_code", "warehouse_code"):
        assert waits_for(code_server) == {
            "migrate": "service_completed_successfully",
            "create_bucket": "service_completed_successfully",
        }
        assert services[code_server]["healthcheck"]["test"][1:4] == [
            "salesagent", "health", "--readiness",
        ]  # fmt: skip
    for name in ("webserver", "daemon"):
        assert waits_for(name) == {
            "migrate": "service_completed_successfully",
            "user_code": "service_started",
            "warehouse_code": "service_started",
        }
    for name in ("postgres", "minio", "user_code", "warehouse_code", "webserver", "daemon"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    for name in ("migrate", "create_bucket"):
        assert services[name]["restart"] == "no"


def test_only_the_public_edge_surface_is_published():
    services = compose_services()
    public, internal = services["edge"], services["edge_internal"]
    assert public["command"][1:4] == ["serve", "--surface", "public"]
    assert internal["command"][1:4] == ["serve", "--surface", "internal"]
    assert public["ports"] == ["8080:8080"]
    assert "ports" not in internal and internal["expose"] == ["8081"]
    for service, port in ((public, 8080), (internal, 8081)):
        assert f"http://127.0.0.1:{port}/healthz" in service["healthcheck"]["test"][-1]
        assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}


def service_commands() -> list[tuple[str, list[str]]]:
    """Every command our image runs: the services' commands and their health checks."""
    commands = []
    for name in DAGSTER_SERVICES + EDGE_SERVICES:
        service = compose_services()[name]
        command = service["command"]
        if command[:2] == ["sh", "-c"]:
            commands += [(name, shlex.split(part)) for part in command[2].split("&&")]
        else:
            commands.append((name, command))
        if "healthcheck" in service:
            commands.append((f"{name} healthcheck", service["healthcheck"]["test"][1:]))
    return commands


def click_command_of(script: str) -> click.Command:
    """The click command behind a console script installed in this venv."""
    (entry_point,) = entry_points(group="console_scripts", name=script)
    loaded = entry_point.load()
    if isinstance(loaded, click.Command):
        return loaded
    cli = getattr(importlib.import_module(entry_point.module), "cli")  # noqa: B009
    assert isinstance(cli, click.Command), script
    return cli


@pytest.mark.parametrize(
    ("service", "command"), service_commands(), ids=[" ".join(c[:3]) for _, c in service_commands()]
)
def test_every_command_a_service_runs_exists(service: str, command: list[str]):
    script, *args = command
    if script == "python":
        assert args[0] == "-c"
        compile(args[1], service, "exec")
        return
    assert (VENV_BIN / script).exists(), f"{service}: no {script} console script"
    command_object = click_command_of(script)
    while isinstance(command_object, click.Group) and args and args[0] in command_object.commands:
        command_object = command_object.commands[args.pop(0)]
    assert not isinstance(command_object, click.Group), f"{service}: {command} names no command"
    if "-m" in args:
        module = args[args.index("-m") + 1]
        assert importlib.util.find_spec(module) is not None, module
    if "-w" in args:
        # The image's workspace file is deploy/production's (see the Dockerfile test).
        index = args.index("-w") + 1
        assert args[index] == f"{IMAGE_DAGSTER_HOME}/workspace.yaml"
        args[index] = str(PRODUCTION_DIR / "workspace.yaml")
    # Parses every option and value the way the real run would, without running it.
    command_object.make_context(script, list(args))


def test_production_instance_config_is_postgres_and_s3(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", "postgresql+psycopg2://u:p@127.0.0.1:9/dagster")
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_BUCKET", "compute-logs")
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_PREFIX", "dagster")
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_LOCAL_DIR", str(tmp_path / "staging"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    ref = InstanceRef.from_dir(str(PRODUCTION_DIR))
    assert ref.storage_data is not None
    assert (ref.storage_data.module_name, ref.storage_data.class_name) == (
        "dagster_postgres", "DagsterPostgresStorage",
    )  # fmt: skip
    compute_logs = ref.compute_logs_data.rehydrate(as_type=ComputeLogManager)
    assert isinstance(compute_logs, S3ComputeLogManager)
    # Staged under our own directory, never the shared system temp dir (erasure scans it).
    assert compute_logs.local_manager._base_dir == str(tmp_path / "staging")
    settings: dict[str, Any] = yaml.safe_load((PRODUCTION_DIR / "dagster.yaml").read_text())
    assert settings["run_retries"]["enabled"] is True
    assert settings["concurrency"]["pools"]["default_limit"] >= 1
    repo_settings = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    for key in ("concurrency", "run_queue", "run_retries", "run_monitoring", "sensors"):
        assert settings[key] == repo_settings[key], key  # the tuned embedded instance's


def test_the_workspace_points_at_both_code_servers():
    lead, warehouse = yaml.safe_load((PRODUCTION_DIR / "workspace.yaml").read_text())["load_from"]
    assert lead["grpc_server"] == {
        "host": {"env": "DAGSTER_CODE_SERVER_HOST"},
        "port": {"env": "DAGSTER_CODE_SERVER_PORT"},
        "location_name": LEAD_LOCATION,
    }
    assert warehouse["grpc_server"] == {
        "host": {"env": "DAGSTER_WAREHOUSE_CODE_SERVER_HOST"},
        "port": {"env": "DAGSTER_WAREHOUSE_CODE_SERVER_PORT"},
        "location_name": WAREHOUSE_LOCATION,
    }
    services = compose_services()
    for service, module, location in (
        ("user_code", "salesagent_dagster.definitions", LEAD_LOCATION),
        ("warehouse_code", "salesagent_dagster.warehouse_definitions", WAREHOUSE_LOCATION),
    ):
        command = services[service]["command"]
        assert command[command.index("-m") + 1] == module
        assert command[command.index("--location-name") + 1] == location


def test_the_embedded_workspace_has_the_same_two_locations():
    locations = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())["load_from"]
    assert [entry["python_module"] for entry in locations] == [
        {"module_name": "salesagent_dagster.definitions", "location_name": LEAD_LOCATION},
        {
            "module_name": "salesagent_dagster.warehouse_definitions",
            "location_name": WAREHOUSE_LOCATION,
        },
    ]

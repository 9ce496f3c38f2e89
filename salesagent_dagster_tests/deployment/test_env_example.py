""".env.example documents every environment variable anything in the deployment reads: the
package's code, the production instance and workspace files, and docker-compose.yml."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from salesagent_dagster.local.instance import REPO_ROOT
from salesagent_dagster_tests.deployment.production_stack import COMPOSE_FILE, PRODUCTION_DIR

PACKAGE = REPO_ROOT / "salesagent_dagster"
# Functions whose first argument is an environment variable's name.
ENV_READERS = {"env", "env_bool", "env_number", "getenv", "EnvVar", "secret", "_var"}
# The emulators are test doubles of HubSpot and Gmail, never deployed.
NOT_DEPLOYED = {PACKAGE / "sandbox"}
# Compose sets these for its postgres and minio services from the documented ones.
COMPOSE_INTERNAL = {"POSTGRES_DB", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}


def documented() -> set[str]:
    """`NAME=value` lines, set or commented out (a commented line shows the default)."""
    text = (REPO_ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def read_by_code() -> dict[str, str]:
    """Variable name -> the first module that reads it."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if any(parent in NOT_DEPLOYED for parent in path.parents):
            continue
        tree = ast.parse(path.read_text())
        constants = _string_constants(tree)
        for name in _env_reads(tree, constants):
            found.setdefault(name, str(path.relative_to(REPO_ROOT)))
    return found


def _string_constants(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level NAME = "X" and NAME = ("X", "Y"), to resolve reads through a constant."""
    constants: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            values = _strings(node.value, {})
            for target in targets:
                if isinstance(target, ast.Name) and values:
                    constants[target.id] = values
    return constants


def _strings(node: ast.expr, constants: dict[str, list[str]]) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name):
        return constants.get(node.id, [])
    if isinstance(node, ast.Tuple | ast.List):
        return [value for element in node.elts for value in _strings(element, constants)]
    if isinstance(node, ast.Starred):
        return _strings(node.value, constants)
    return []


def _env_reads(tree: ast.Module, constants: dict[str, list[str]]) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            function = node.func
            called = function.id if isinstance(function, ast.Name) else ""
            if isinstance(function, ast.Attribute):
                called = function.attr
                if called in ("get", "pop", "setdefault") and _is_environ(function.value):
                    called = "getenv"
            if called in ENV_READERS:
                names.update(_strings(node.args[0], constants))
        # A read only: `os.environ[X] = ...` sets.
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            names.update(_strings(node.slice, constants) if _is_environ(node.value) else [])
    return {name for name in names if re.fullmatch(r"[A-Z][A-Z0-9_]+", name)}


def _is_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def read_by_deploy_files() -> set[str]:
    names: set[str] = set()
    for path in PRODUCTION_DIR.glob("*.yaml"):
        names.update(re.findall(r"\benv: ([A-Z][A-Z0-9_]+)", _yaml_flow(path)))
    names.update(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", COMPOSE_FILE.read_text()))
    return names - COMPOSE_INTERNAL


def _yaml_flow(path: Path) -> str:
    """`key:\\n  env: NAME` as one line per value, whatever the indentation."""
    return re.sub(r":\s*\n\s+env:", ": env:", path.read_text()).replace("\n", " \n")


def test_every_variable_the_code_reads_is_documented():
    code = read_by_code()
    # The reader finds the contract's core (guards against it silently finding nothing).
    assert {"HUBSPOT_ACCESS_TOKEN", "GMAIL_REFRESH_TOKEN", "SALESAGENT_TOKEN_KEY"} <= set(code)
    assert {"SENDER_EMAIL", "ALLOW_REAL_SENDS", "DAGSTER_HOME"} <= set(code)
    missing = {name: module for name, module in code.items() if name not in documented()}
    assert missing == {}, "add these to .env.example with their default and meaning"


def test_every_variable_the_deployment_files_read_is_documented():
    deploy = read_by_deploy_files()
    assert {"DAGSTER_POSTGRES_URL", "DAGSTER_COMPUTE_LOGS_BUCKET", "POSTGRES_PASSWORD"} <= deploy
    assert sorted(deploy - documented()) == []


def test_the_example_documents_nothing_that_is_not_read():
    read = set(read_by_code()) | read_by_deploy_files()
    # boto3 reads these for the S3 compute logs and the readiness check.
    read |= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
    assert sorted(documented() - read) == []

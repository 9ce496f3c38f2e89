"""`salesagent erase`, `export` and `retention`: a person's data, on request or on schedule.

`erase` is the primary erasure path: the address goes from the operator's terminal (or
stdin, to keep it out of shell history) straight to the app DB lookup, never through Dagster
run config, tags or logs. The `erase_person` job exists for the Launchpad; see its docstring
for what that costs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from salesagent_dagster.local.instance import prepare_dagster_home


def _address(email: str | None, from_stdin: bool) -> str:
    address = sys.stdin.readline().strip() if from_stdin else (email or "").strip()
    if not address:
        raise click.UsageError("give the person's email address, or --stdin to read it")
    return address


@click.command()
@click.argument("email", required=False)
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the address from stdin.")
@click.option(
    "--hubspot/--no-hubspot",
    default=False,
    help="Also archive the HubSpot email engagements and tasks we logged for them.",
)
@click.option("--actor", default="cli", help="Who asked for the erasure (for the audit log).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email: str | None, from_stdin: bool, hubspot: bool, actor: str, yes: bool) -> None:
    """Erase a person: app rows, our Gmail drafts, Dagster runs and partitions of their leads;
    suppress their address (hashed); then verify that nothing holds the address any more."""
    from dagster import DagsterInstance

    from salesagent_dagster.observability.setup import init_observability
    from salesagent_dagster.services.privacy.erasure_wiring import erase_and_verify

    init_observability()
    address = _address(email, from_stdin)
    if not yes:
        click.confirm(
            "Erase everything we hold about this person? This cannot be undone", abort=True
        )
    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        report, verification = erase_and_verify(address, instance, hubspot=hubspot, actor=actor)
    for name, value in report.as_dict().items():
        click.echo(f"{name}: {value}")
    if report.busy_sqlite_files:
        click.echo(f"not compacted (busy, run erase again later): {report.busy_sqlite_files}")
    click.echo(verification.format())
    if not verification.clean:
        sys.exit(1)


@click.command()
@click.argument("email", required=False)
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the address from stdin.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the JSON here (default: stdout).")  # fmt: skip
def export(email: str | None, from_stdin: bool, output: Path | None) -> None:
    """Everything we hold about a person, as JSON (right of access)."""
    from salesagent_dagster.services.privacy.person_export import export_json, export_person
    from salesagent_dagster.settings import resources_from_env

    resources = resources_from_env(resolve_secrets=True)
    document = export_json(
        export_person(
            _address(email, from_stdin),
            session_factory=resources.app_store.session,
            hash_salt=resources.outreach.salt,
        )
    )
    if output is None:
        click.echo(document)
    else:
        output.write_text(document + "\n", encoding="utf-8")
        output.chmod(0o600)
        click.echo(f"written to {output}")


@click.command()
@click.option("--dry-run", is_flag=True, help="Count what would go; delete nothing.")
def retention(dry_run: bool) -> None:
    """Apply the retention windows now (the nightly schedule does the same)."""
    from dagster import DagsterInstance

    from salesagent_dagster.services.privacy.retention import apply_retention
    from salesagent_dagster.services.privacy.retention_settings import retention_from_env
    from salesagent_dagster.settings import resources_from_env

    prepare_dagster_home()
    app_store = resources_from_env(resolve_secrets=True).app_store
    with DagsterInstance.get() as instance:
        report = apply_retention(app_store.session, instance, retention_from_env(), dry_run=dry_run)
    for name, value in report.as_metadata().items():
        click.echo(f"{name}: {value}")

"""`salesagent operators`: who may sign in to the review desk, and with which role.

The password is read from stdin when it is not a terminal (scripts: `... < secret`), else
prompted twice; it never appears in argv, where `ps` and shell history would keep it.
"""

from __future__ import annotations

import getpass
import sys

import click

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.services.operators import OperatorError, Role, add_operator
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import operators as store


@click.group()
def operators() -> None:
    """Review desk operators: viewer reads, reviewer acts, admin also flips the kill switch."""


@operators.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.reviewer.value)
def add(name: str, role: str) -> None:
    """Add NAME (or replace their role and password)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    with resources_from_env().app_store.session() as session:
        try:
            add_operator(session, name, role, password, actor=getpass.getuser())
        except OperatorError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{name}: {role}")


@operators.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Stop NAME signing in; their open sessions end at their next request."""
    with resources_from_env().app_store.session() as session:
        if not store.disable_operator(session, name, actor=getpass.getuser()):
            raise click.ClickException(f"{name}: no such operator")
    click.echo(f"{name}: disabled")


@operators.command("list")
def list_operators() -> None:
    """Everyone who may sign in, with their role."""
    with resources_from_env().app_store.session() as session:
        rows = [
            [o.name, o.role, "disabled" if o.disabled else "active"]
            for o in store.all_operators(session)
        ]
    click.echo(format_table(["name", "role", "state"], rows))

"""`salesagent operators`: who may sign in to the review desk, and with which role.

The password is read from stdin when it is not a terminal (scripts: `... < secret`), else
prompted twice; it never appears in argv, where `ps` and shell history would keep it. An
operator added with `--oidc-email` signs in through the OpenID provider as that email and
has no password (SALESAGENT_OIDC_ISSUER; the README's review desk section). With a provider
set, desk passwords are off unless SALESAGENT_DESK_PASSWORDS keeps them: a password is still
stored (for when they are turned on) and the command says it will not sign anyone in.
"""

from __future__ import annotations

import getpass
import sys

import click

from salesagent_dagster.cli.tables import format_table
from salesagent_dagster.services.operators import (
    NO_PASSWORD,
    OperatorError,
    Role,
    add_oidc_operator,
    add_operator,
)
from salesagent_dagster.settings import load_settings, resources_from_env
from salesagent_dagster.store import operators as store


@click.group()
def operators() -> None:
    """Review desk operators: viewer reads, reviewer acts, admin also flips the kill switch."""


@operators.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.reviewer.value)
@click.option(
    "--oidc-email",
    default="",
    help="Sign in through the OpenID provider as this (verified) email, with no password.",
)
def add(name: str, role: str, oidc_email: str) -> None:
    """Add NAME (or replace their role and password, or their OpenID email)."""
    actor = getpass.getuser()
    if oidc_email:
        with resources_from_env().app_store.session() as session:
            try:
                add_oidc_operator(session, name, role, oidc_email, actor=actor)
            except OperatorError as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(f"{name}: {role}, signs in through the OpenID provider")
        return
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    with resources_from_env().app_store.session() as session:
        try:
            add_operator(session, name, role, password, actor=actor)
        except OperatorError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{name}: {role}")
    if not load_settings().desk_passwords_on:
        click.echo(
            "note: desk passwords are off beside the OpenID provider (SALESAGENT_DESK_PASSWORDS):"
            f" add {name} with --oidc-email to let them in",
            err=True,
        )


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
    """Everyone who may sign in, with their role and how they sign in."""
    with resources_from_env().app_store.session() as session:
        rows = []
        for o in store.all_operators(session):
            identity = store.identity_of(session, o.name)
            how = [] if o.password_hash == NO_PASSWORD else ["password"]
            if identity is not None:
                bound = "bound" if identity.subject else "not signed in yet"
                how.append(f"OpenID {identity.email} ({bound})")
            rows.append([o.name, o.role, "disabled" if o.disabled else "active", ", ".join(how)])
    click.echo(format_table(["name", "role", "state", "signs in with"], rows))

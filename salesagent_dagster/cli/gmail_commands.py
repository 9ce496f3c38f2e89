"""`salesagent gmail`: connect reps' mailboxes (refresh tokens encrypted at rest)."""

from __future__ import annotations

import sys

import click

from salesagent_dagster.settings import resources_from_env, token_vault
from salesagent_dagster.store import mailboxes
from salesagent_dagster.store.token_vault import TokenKeyError, TokenVault


@click.group()
def gmail() -> None:
    """Reps' Gmail mailboxes: the lead's HubSpot owner picks the one that writes."""


@gmail.command("new-key")
def new_key() -> None:
    """Print a new SALESAGENT_TOKEN_KEY (keep it with your other secrets)."""
    click.echo(TokenVault.new_key())


@gmail.command()
@click.option("--mailbox", required=True, help="The rep's address (their HubSpot owner email).")
@click.option("--name", default="", help="Display name for the From header.")
@click.option(
    "--refresh-token-stdin", is_flag=True, required=True,
    help="Read the OAuth refresh token from standard input (never from the command line).",
)  # fmt: skip
def connect(mailbox: str, name: str, refresh_token_stdin: bool) -> None:
    """Store a mailbox's refresh token, encrypted with SALESAGENT_TOKEN_KEY."""
    refresh_token = sys.stdin.readline().strip()
    if not refresh_token:
        raise click.UsageError("no refresh token on standard input")
    try:
        vault = token_vault()
    except TokenKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    with resources_from_env().app_store.session() as session:
        mailboxes.connect(session, vault, mailbox, name, refresh_token)
    click.echo(f"connected {mailbox.strip().lower()}")


@gmail.command("list")
def list_mailboxes() -> None:
    """Connected mailboxes and whether they need reconnecting."""
    with resources_from_env().app_store.session() as session:
        rows = [
            (row.address, row.status, f"{row.updated_at:%Y-%m-%d %H:%M}")
            for row in mailboxes.all_mailboxes(session)
        ]
    if not rows:
        click.echo("no connected mailboxes (the default SENDER_EMAIL mailbox writes to every lead)")
    for address, status, updated in rows:
        click.echo(f"{address}  {status}  (since {updated} UTC)")

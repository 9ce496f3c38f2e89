"""`salesagent demo`: the whole product on a laptop in under a minute.

Starts the emulators, seeds a morning of demo requests, runs one sensor tick and every lead's
run on the embedded SQLite instance, then shows what happened to each lead and the MIME of
the Gmail drafts it created. Real sends are off (DESIGN I-3).
"""

from __future__ import annotations

import base64
import email
import shutil
from email import policy

import click
import requests

from salesagent_dagster.cli.process_command import process_once_report
from salesagent_dagster.local.demo_seed import seed_demo
from salesagent_dagster.local.instance import start_local_instance
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER, apply_env, running_sandbox
from salesagent_dagster.settings import dagster_home


@click.command()
@click.option("--keep", is_flag=True, help="Keep the previous demo's instance and app DB.")
def demo(keep: bool) -> None:
    """Run the pipeline end to end against local HubSpot and Gmail emulators."""
    home = dagster_home().resolve()
    if not keep and home.exists():
        shutil.rmtree(home)
    start_local_instance()
    with running_sandbox() as stack:
        apply_env(stack.env)
        leads = seed_demo(stack.hubspot.url, stack.gmail.url)
        click.echo(f"seeded {len(leads)} form submissions into the HubSpot emulator\n")
        click.echo(process_once_report(as_json=False))
        click.echo("")
        click.echo(describe_gmail_drafts(stack.gmail.url))
    click.echo(f"\nDagster instance: {home}  (open it with `make ui`)")


def describe_gmail_drafts(gmail_url: str) -> str:
    """What the Gmail emulator holds, parsed back from the raw RFC 822 bytes."""
    state = requests.get(f"{gmail_url}/_admin/state", timeout=10).json()
    mailbox = state["mailboxes"][SANDBOX_SENDER]
    lines = [
        f"Gmail emulator: {len(mailbox['drafts'])} drafts, {len(mailbox['sent'])} sent "
        "(real sends are off, so approved leads become drafts)"
    ]
    for draft in mailbox["drafts"]:
        raw = base64.urlsafe_b64decode(draft["raw"] + "=" * (-len(draft["raw"]) % 4))
        message = email.message_from_bytes(raw, policy=policy.default)
        parts = [part.get_content_type() for part in message.iter_parts()]
        lines.append(
            f"  - {message['Subject']!s:<40} {message.get_content_type()} ({' + '.join(parts)}), "
            f"List-Unsubscribe {'ok' if message['List-Unsubscribe'] else 'MISSING'}, "
            f"Message-ID {message['Message-ID']}"
        )
    return "\n".join(lines)

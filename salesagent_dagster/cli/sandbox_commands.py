"""`salesagent sandbox` (the emulators in the foreground) and `salesagent ui` (the emulators
plus the Dagster webserver and daemon on the embedded instance)."""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path

import click

from salesagent_dagster.local.demo_seed import add_submission, seed_demo
from salesagent_dagster.local.instance import REPO_ROOT, start_local_instance
from salesagent_dagster.local.processes import exit_on_sigterm, running_group
from salesagent_dagster.local.sandbox_replies import REPLY_KINDS, put_reply
from salesagent_dagster.local.sandbox_stack import (
    apply_env,
    running_oidc_provider,
    running_sandbox,
)
from salesagent_dagster.settings import load_settings, resources_from_env


@click.group(invoke_without_command=True)
@click.option("--hubspot-port", default=8101, show_default=True)
@click.option("--gmail-port", default=8102, show_default=True)
@click.option("--seed/--no-seed", default=False, help="Add the demo's submissions at start.")
@click.option(
    "--oidc-email",
    default="",
    help="Also run the OpenID provider (on --oidc-port), signing this email in to the desk.",
)
@click.option("--oidc-port", default=8103, show_default=True)
@click.pass_context
def sandbox(ctx: click.Context, hubspot_port: int, gmail_port: int, seed: bool,
            oidc_email: str, oidc_port: int) -> None:  # fmt: skip
    """Run the HubSpot and Gmail emulators until Ctrl-C and print the env to use them."""
    if ctx.invoked_subcommand is not None:
        return
    with contextlib.ExitStack() as running:
        running.enter_context(exit_on_sigterm())
        stack = running.enter_context(running_sandbox(hubspot_port, gmail_port))
        env = dict(stack.env)
        if oidc_email:
            _, oidc_env = running.enter_context(running_oidc_provider(oidc_port, oidc_email))
            env.update(oidc_env)
        if seed:
            seed_demo(stack.hubspot.url, stack.gmail.url)
        click.echo("# emulators running; in another shell:")
        for name, value in env.items():
            click.echo(f"export {name}='{value}'")
        if oidc_email:
            click.echo(f"# salesagent operators add NAME --oidc-email {oidc_email}, then")
            click.echo("# salesagent serve --surface internal; /signin offers the provider")
        click.echo("# then: salesagent process --once    (Ctrl-C here stops the emulators)")
        threading.Event().wait()


@sandbox.command("add")
@click.option("--email", "email_address", required=True)
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.option("--company", default="")
@click.option("--job-title", default="")
@click.option("--message", default="")
def add(
    email_address: str, first_name: str, last_name: str, company: str, job_title: str, message: str
) -> None:
    """Add one form submission to the running HubSpot emulator (HUBSPOT_API_BASE_URL)."""
    settings = load_settings()
    # Unset, the emulator's default port, not the real API the product would default to.
    explicit = "hubspot_api_base_url" in settings.model_fields_set
    base_url = settings.hubspot_api_base_url if explicit else "http://127.0.0.1:8101"
    values = {
        "email": email_address, "firstname": first_name, "lastname": last_name,
        "company": company, "jobtitle": job_title, "message": message,
    }  # fmt: skip
    conversion_id = add_submission(base_url, {k: v for k, v in values.items() if v})
    click.echo(f"submitted (conversionId {conversion_id})")


@sandbox.command("reply")
@click.argument("key")
@click.option("--kind", type=click.Choice(REPLY_KINDS), required=True)
def reply(key: str, kind: str) -> None:
    """Put mail coming back for lead KEY into the Gmail emulator (GMAIL_API_BASE_URL): a
    positive or negative reply, an out-of-office (ooo), a bounce (an RFC 3464 DSN) or a
    mailto unsubscribe. The mailbox sensor reads it on its next tick."""
    resources = resources_from_env(resolve_secrets=True)
    try:
        put = put_reply(resources.app_store, resources.gmail, key, kind)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{kind} for {key}: Gmail message {put.gmail_message_id} in thread {put.thread_id}")


@click.command()
@click.option("--port", default=3000, show_default=True)
@click.option("--hubspot-port", default=8101, show_default=True)
@click.option("--gmail-port", default=8102, show_default=True)
@click.option("--seed/--no-seed", default=True, help="Add the demo's submissions once up.")
def ui(port: int, hubspot_port: int, gmail_port: int, seed: bool) -> None:
    """Dagster UI + daemon on the embedded instance, with the emulators running. SIGTERM or
    Ctrl-C stops every process it started (`dagster dev`'s whole process group)."""
    start_local_instance()
    with exit_on_sigterm(), running_sandbox(hubspot_port, gmail_port) as stack:
        apply_env(stack.env)
        if seed:
            seed_demo(stack.hubspot.url, stack.gmail.url)
        click.echo(f"emulators: HubSpot {stack.hubspot.url}, Gmail {stack.gmail.url}")
        click.echo(f"add a lead: salesagent sandbox add --email ana@acme.io  (UI on :{port})")
        dagster = Path(sys.executable).with_name("dagster")
        command = [str(dagster), "dev", "-w", str(REPO_ROOT / "workspace.yaml"), "-p", str(port)]
        with (
            contextlib.suppress(KeyboardInterrupt),
            # 5 s for the graceful part: after it, what ignores SIGTERM is killed.
            running_group(command, grace_seconds=5, cwd=REPO_ROOT) as dagster_dev,
        ):
            dagster_dev.wait()

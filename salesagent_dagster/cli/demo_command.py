"""`salesagent demo`: the whole product on a laptop in under a minute.

Starts the emulators and the edge, seeds a morning of demo requests, runs one tick and every
lead's run on the embedded SQLite instance and shows what happened to each lead. Then the
leads answer (a reply, an out-of-office, a bounce, a one-click unsubscribe; the rest stay
silent), one more tick reads the mailbox and releases the due follow-ups, and the demo shows
the outcomes and the MIME of the Gmail drafts. Last, the refresh_warehouse job (export + dbt
build) runs in this process and the demo ends with the report from the marts. Real sends are
off (DESIGN I-3).
"""

from __future__ import annotations

import base64
import email
import io
import shutil
from collections.abc import Sequence
from contextlib import redirect_stdout
from email import policy

import click
import requests
from dagster import DagsterInstance

from salesagent_dagster.cli.process_command import process_once
from salesagent_dagster.cli.report_command import experiment_verdicts, format_report
from salesagent_dagster.local.demo_push import (
    SANDBOX_HUBSPOT_CLIENT_SECRET,
    push_submissions_to,
    wait_for_inbox,
)
from salesagent_dagster.local.demo_returns import (
    DEMO_FOLLOW_UP_DAYS,
    answer_first_emails,
    describe_follow_ups,
    drafted_first_emails,
)
from salesagent_dagster.local.demo_seed import (
    DEMO_RETURN_PATH_LEADS,
    add_submission,
    learn_demo_voices,
    seed_demo,
    seed_sent_mail,
)
from salesagent_dagster.local.edge_thread import edge_context_linking_here, serving_edge
from salesagent_dagster.local.instance import start_local_instance
from salesagent_dagster.local.one_tick import QUIET_CONSOLE
from salesagent_dagster.local.sandbox_stack import (
    SANDBOX_SENDER,
    SECOND_REP,
    apply_env,
    running_sandbox,
)
from salesagent_dagster.services.warehouse.report import read_report
from salesagent_dagster.settings import dagster_home, resources_from_env

MORNING_SENSORS = ("hubspot_submissions", "mailbox_replies")


@click.command()
@click.option("--keep", is_flag=True, help="Keep the previous demo's instance and app DB.")
def demo(keep: bool) -> None:
    """Run the pipeline end to end against local HubSpot and Gmail emulators."""
    home = dagster_home().resolve()
    if not keep and home.exists():
        shutil.rmtree(home)
    start_local_instance()
    with running_sandbox() as stack:
        apply_env(
            {
                **stack.env,
                "SALESAGENT_FOLLOW_UP_DAYS": DEMO_FOLLOW_UP_DAYS,
                "HUBSPOT_CLIENT_SECRET": SANDBOX_HUBSPOT_CLIENT_SECRET,
            }
        )
        # The one-click links in the drafts point at this edge, served for real; the
        # emulator's workflow pushes each submission to its webhook, signed.
        with serving_edge(edge_context_linking_here) as (edge_url, edge):
            push_submissions_to(
                stack.hubspot.url, f"{edge_url}/webhooks/hubspot", SANDBOX_HUBSPOT_CLIENT_SECRET
            )
            # The reps' earlier mail in their sent folders, and the weekly voice sensor's
            # pass over it: the drafts below are written in each rep's own voice.
            seed_sent_mail(stack.gmail.url)
            with DagsterInstance.get() as instance:
                learn_demo_voices(instance)
            click.echo(_learned_voices())
            leads = seed_demo(stack.hubspot.url, stack.gmail.url)
            for lead in DEMO_RETURN_PATH_LEADS:
                add_submission(stack.hubspot.url, lead.values)
            seeded = len(leads) + len(DEMO_RETURN_PATH_LEADS)
            pushed = wait_for_inbox(edge.app_store, seeded)
            click.echo(
                f"seeded {seeded} form submissions into the HubSpot emulator; its workflow "
                f"pushed {pushed} to the edge's signed webhook, which stored them in the inbox "
                f"(the edge, with one-click unsubscribe, serves {edge_url})\n"
            )
            # The morning: intake and the mailbox only, so the follow-ups (due almost at once
            # in the demo) wait for the answers below, as they would wait days for real.
            first = process_once(as_json=False, sensor_names=MORNING_SENSORS)
            click.echo(first.report)
            click.echo("")
            click.echo(_second_act(first.partition_keys))
            click.echo("")
            click.echo(describe_gmail_drafts(stack.gmail.url))
    click.echo(f"\nDagster instance: {home}  (open it with `make ui`)")
    click.echo(f"\n{_warehouse_report()}")


def _learned_voices() -> str:
    """The voice each demo rep's sent folder taught (its fields, never the mail)."""
    from salesagent_dagster.store.voice_profiles import voice_for

    resources = resources_from_env(resolve_secrets=True)
    lines = ["The weekly voice sensor read the reps' sent folders:"]
    with resources.app_store.session() as session:
        for mailbox in (SANDBOX_SENDER, SECOND_REP):
            voice = voice_for(session, mailbox)
            if not voice.version:  # not connected in the demo: nothing learned
                continue
            lines.append(
                f"  {mailbox}: v{voice.version} from {voice.sample_count} emails, greets "
                f"'{voice.greeting}', signs off '{voice.sign_off}', "
                f"{'brief' if voice.is_brief else 'standard'} template"
            )
    return "\n".join(lines) + "\n"


def _warehouse_report() -> str:
    """The refresh_warehouse job of the assembled code location, then what `salesagent
    report` prints."""
    from salesagent_dagster.code_locations import build_warehouse_definitions

    job = build_warehouse_definitions().resolve_job_def("refresh_warehouse")
    # dagster-dbt echoes dbt's own log to stdout; the event log keeps it (`make ui`).
    with DagsterInstance.get() as instance, redirect_stdout(io.StringIO()):
        result = job.execute_in_process(
            instance=instance, run_config=QUIET_CONSOLE, raise_on_error=False
        )
    if not result.success:
        return f"The warehouse refresh failed (run {result.run_id}): see it with `make ui`."
    return (
        "The analytics warehouse, refreshed (export + dbt build; `salesagent report`):\n"
        + format_report(read_report())
        + f"\n\n{experiment_verdicts()}"
    )


def _second_act(partition_keys: Sequence[str]) -> str:
    """Answers to the first emails, then one more tick: the mailbox read, the follow-ups."""
    resources = resources_from_env(resolve_secrets=True)
    drafted = drafted_first_emails(resources.app_store, partition_keys)
    answers = answer_first_emails(resources.app_store, resources.gmail, drafted)
    described = ", ".join(f"{a.partition_key} {a.answer}" for a in answers)
    second = process_once(as_json=False, also_report=[a.partition_key for a in answers])
    return "\n".join(
        [
            f"Later: the {len(answers)} leads we wrote to answer ({described}).",
            "The next tick reads the mailbox and releases the follow-ups that are due:",
            second.report,
            "",
            describe_follow_ups(resources.app_store, answers),
        ]
    )


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

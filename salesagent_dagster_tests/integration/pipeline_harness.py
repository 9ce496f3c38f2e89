"""Drive the real sensor and runs against the emulators, and read back what happened."""

from __future__ import annotations

import base64
import email
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

import requests
from dagster import DagsterInstance, DagsterRun

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.defs.intake.form_polling import poll_form_submissions
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.local.one_tick import TickResult, run_one_tick
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER
from salesagent_dagster.services.lead_outcomes import LeadOutcome, lead_outcomes, submissions_since
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import inbox


@dataclass
class TickOutcome:
    tick: TickResult
    outcomes: list[LeadOutcome]

    def by_status(self, status: str) -> list[LeadOutcome]:
        return [o for o in self.outcomes if o.status == status]


def process_once(instance: DagsterInstance) -> TickOutcome:
    definitions = build_definitions()
    app_store = resources_from_env().app_store
    tick = run_one_tick(instance, definitions)
    with app_store.session() as session:
        keys = list(dict.fromkeys(submissions_since(session, tick.started_at) + list(tick.run_ids)))
        outcomes = lead_outcomes(session, instance, keys, tick.run_ids)
    return TickOutcome(tick, outcomes)


def store_waiting(hubspot_url: str, people: list[dict[str, str]]) -> list[str]:
    """Submit these people and store them in the inbox as the intake sensor's poll does,
    with no run yet: the leads a backlog is made of. Their partition keys, oldest first."""
    for person in people:
        add_submission(hubspot_url, person)
    resources = resources_from_env(resolve_secrets=True)
    poll_form_submissions(
        resources.hubspot, resources.app_store.session, resources.outreach.fingerprint
    )
    with resources.app_store.session() as session:
        return [row.partition_key for row in inbox.undispatched(session, 1000)]


def run_backlog(instance: DagsterInstance) -> tuple[TickResult, DagsterRun]:
    """One pass of the `lead_backlog` sensor and the one batch run it asks for."""
    tick = run_one_tick(instance, build_definitions(), sensor_names=("lead_backlog",))
    (run,) = tick.runs
    batch_run = instance.get_run_by_id(run.run_id)
    assert batch_run is not None
    return tick, batch_run


def gmail_state(gmail_url: str) -> dict[str, Any]:
    return requests.get(f"{gmail_url}/_admin/state", timeout=10).json()["mailboxes"][SANDBOX_SENDER]


def parse_raw(raw: str) -> EmailMessage:
    data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def hubspot_state(hubspot_url: str) -> dict[str, Any]:
    return requests.get(f"{hubspot_url}/_admin/state", timeout=10).json()


def add_fault(base_url: str, **fault: Any) -> None:
    requests.post(f"{base_url}/_admin/faults", json=fault, timeout=10).raise_for_status()

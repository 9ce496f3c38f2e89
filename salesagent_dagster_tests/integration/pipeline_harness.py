"""Drive the real sensor and runs against the emulators, and read back what happened."""

from __future__ import annotations

import base64
import email
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

import requests
from dagster import DagsterInstance

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.one_tick import TickResult, run_one_tick
from salesagent_dagster.local.sandbox_stack import SANDBOX_SENDER
from salesagent_dagster.services.lead_outcomes import LeadOutcome, lead_outcomes, submissions_since
from salesagent_dagster.settings import resources_from_env


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

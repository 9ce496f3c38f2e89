"""The internal edge served for real over a migrated app DB with operators of each role,
and leads waiting for review written as the pipeline writes them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pytest

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.services.operators import hash_password
from salesagent_dagster.store import drafts
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.inbox import new_partition_key
from salesagent_dagster.store.models import (
    Enrichment,
    Lead,
    SafetyResult,
    SendDecision,
    Submission,
)
from salesagent_dagster.store.operators import save_operator
from salesagent_dagster_tests.desk.desk_client import DeskClient
from salesagent_dagster_tests.edge.conftest import (  # noqa: F401 (fixtures)
    database_url,
    edge_context,
    hubspot_emulator,
)
from salesagent_dagster_tests.edge.edge_server import serving

PASSWORDS = {"vera": "viewer-password-1", "rick": "reviewer-password-1", "ada": "admin-password-1"}
ROLES = {"vera": "viewer", "rick": "reviewer", "ada": "admin"}


@dataclass
class Desk:
    url: str
    context: EdgeContext

    @property
    def database_url(self) -> str:
        return self.context.app_store.database_url

    def client(self) -> DeskClient:
        return DeskClient(self.url)

    def signed_in(self, name: str) -> DeskClient:
        client = self.client()
        assert client.sign_in(name, PASSWORDS[name]).status == 303
        return client

    def add_waiting_lead(self, *, first_name: str = "Ana", company: str = "Acme",
                         message: str = "", body: str = "Hi Ana,\n\nThanks for asking.\n\nRiley",
                         versions: int = 1) -> str:  # fmt: skip
        key = new_partition_key()
        with session_scope(self.database_url) as session:
            session.add(Submission(partition_key=key, form_id="form", conversion_id=key,
                                   payload={}, status="accepted"))  # fmt: skip
            session.flush()
            session.add(Lead(partition_key=key, email=f"{key[:8]}@acme.io", first_name=first_name,
                             company=company, message=message, qualified=True,
                             status_reason="qualified"))  # fmt: skip
            session.flush()
            session.add(Enrichment(partition_key=key, icp_score=0.4, icp_bucket="B",
                                   icp_factors={}, mailbox="riley@seller.example"))  # fmt: skip
            for n in range(versions):
                draft = drafts.add_draft_version(
                    session, partition_key=key, subject=f"Your demo ({n + 1})",
                    body_text=body, template="first_touch", voice_profile={}, author="agent",
                )  # fmt: skip
            session.add(SafetyResult(partition_key=key, draft_version=draft.version,
                                     check_name="draft_has_no_pii", passed=True, findings=[]))  # fmt: skip
            drafts.save_decision(session, SendDecision(
                partition_key=key, draft_version=draft.version, outcome="needs_review",
                confidence=0.5, threshold=0.8, rules_fired=[{"rule": "unknown_company"}],
                rationale="nobody we know",
            ))  # fmt: skip
        return key


@cache
def _hashes() -> dict[str, str]:
    """Made once per test session: argon2id at its production cost takes about a second."""
    return {name: hash_password(password) for name, password in PASSWORDS.items()}


def add_operators(url: str) -> None:
    with session_scope(url) as session:
        for name, role in ROLES.items():
            save_operator(session, name, role, _hashes()[name], actor="test")


@pytest.fixture
def desk(database_url: str, hubspot_emulator) -> Iterator[Desk]:  # noqa: F811
    """The desk without a review runner: every refusal a test makes must come before a run."""
    add_operators(database_url)
    with serving(lambda url: edge_context(database_url, hubspot_emulator.url, url), "internal") as (
        url,
        context,
    ):
        yield Desk(url, context)

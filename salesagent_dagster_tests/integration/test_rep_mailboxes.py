"""More than one rep: the lead's HubSpot owner picks the mailbox; each mailbox's refresh
token is stored encrypted; a revoked grant stops that mailbox with a clear status."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance

from salesagent_dagster.cli import main
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.local.sandbox_stack import SECOND_REP, SECOND_REP_REFRESH_TOKEN
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import mailboxes
from salesagent_dagster.store.token_vault import TokenVault
from salesagent_dagster_tests.integration.pipeline_harness import parse_raw, process_once


@pytest.fixture
def instance(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("SALESAGENT_TOKEN_KEY", TokenVault.new_key())
    with DagsterInstance.get() as instance:
        yield instance


def connect_second_rep() -> None:
    result = CliRunner().invoke(
        main,
        [
            "gmail",
            "connect",
            "--mailbox",
            SECOND_REP,
            "--name",
            "Sam Seller",
            "--refresh-token-stdin",
        ],
        input=SECOND_REP_REFRESH_TOKEN + "\n",
    )
    assert result.exit_code == 0, result.output


def owned_by_second_rep(sandbox, email: str) -> None:
    owner = sandbox.hubspot.add_owner(SECOND_REP, "Sam", "Seller")
    sandbox.hubspot.add_contact(
        {"email": email, "firstname": "Ana", "hubspot_owner_id": owner["id"]}
    )


def test_owner_with_a_connected_mailbox_writes_from_it(sandbox, instance):
    connect_second_rep()
    owned_by_second_rep(sandbox, "ana@brightpath.io")
    add_submission(sandbox.hubspot.url, {"email": "ana@brightpath.io", "firstname": "Ana"})
    (outcome,) = process_once(instance).outcomes
    assert outcome.status == "drafted"
    state = sandbox.gmail.state()["mailboxes"]
    assert state["riley@seller.example"]["drafts"] == []
    (draft,) = state[SECOND_REP]["drafts"]
    sender = parse_raw(draft["raw"])["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Sam Seller", SECOND_REP)


def test_refresh_tokens_are_encrypted_at_rest_and_need_the_key(sandbox, instance, monkeypatch):
    connect_second_rep()
    with resources_from_env().app_store.session() as session:
        stored = mailboxes.get_mailbox(session, SECOND_REP).refresh_token_encrypted
    assert SECOND_REP_REFRESH_TOKEN not in stored
    monkeypatch.delenv("SALESAGENT_TOKEN_KEY")
    refused = CliRunner().invoke(
        main, ["gmail", "connect", "--mailbox", SECOND_REP, "--refresh-token-stdin"], input="x\n"
    )
    assert refused.exit_code != 0
    assert "SALESAGENT_TOKEN_KEY is not set" in refused.output


def test_revoked_mailbox_is_marked_for_reconnecting_and_stops(sandbox, instance):
    connect_second_rep()
    owned_by_second_rep(sandbox, "bo@brightpath.io")
    sandbox.gmail.revoke_refresh_token(SECOND_REP_REFRESH_TOKEN)
    add_submission(sandbox.hubspot.url, {"email": "bo@brightpath.io", "firstname": "Bo"})
    (outcome,) = process_once(instance).outcomes
    assert outcome.run_status == "FAILURE"
    listed = CliRunner().invoke(main, ["gmail", "list"])
    assert f"{SECOND_REP}  reconnect_required" in listed.output
    assert sandbox.gmail.state()["mailboxes"][SECOND_REP]["drafts"] == []

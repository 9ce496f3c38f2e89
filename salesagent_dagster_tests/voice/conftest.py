"""Reps with sent mail of their own, in the Gmail emulator, for the voice tests."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance

from salesagent_dagster.cli import main
from salesagent_dagster.local.sandbox_stack import SECOND_REP, SECOND_REP_REFRESH_TOKEN
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store.token_vault import TokenVault


@pytest.fixture
def instance(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("SALESAGENT_TOKEN_KEY", TokenVault.new_key())
    with DagsterInstance.get() as instance:
        yield instance


@pytest.fixture
def resources(instance):
    return resources_from_env(resolve_secrets=True)


def connect_second_rep() -> None:
    """Sam connects his mailbox with the CLI, as an operator would."""
    result = CliRunner().invoke(
        main,
        ["gmail", "connect", "--mailbox", SECOND_REP, "--name", "Sam Seller",
         "--refresh-token-stdin"],
        input=SECOND_REP_REFRESH_TOKEN + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output

"""The hash salt is a secret: the Dagster UI shows only the name of its variable, while runs
and the CLI both hash and sign with its value (unset, the development default)."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from urllib.parse import parse_qs, urlparse

import pytest
from dagster import DagsterInstance, build_resources
from dagster._core.remote_representation.external_data import (
    RepositorySnap,
    ResourceConfigEnvVarSnap,
)
from dagster._serdes import serialize_value

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.domain.email_address import email_fingerprint
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.services.privacy.person_lookup import address_hashes
from salesagent_dagster.settings import DEV_HASH_SALT, resources_from_env
from salesagent_dagster.store import leads, suppression
from salesagent_dagster_tests.integration.pipeline_harness import (
    gmail_state,
    parse_raw,
    process_once,
)

SALT = "salt-9f41c7e2-only-in-this-test"


def ui_snapshot() -> tuple[str, dict[str, object]]:
    """What the code location sends the webserver: the whole repository snapshot, and the
    outreach resource's configured values as the UI's resource view lists them."""
    snapshot = RepositorySnap.from_def(build_definitions().get_repository_def())
    outreach = next(r for r in snapshot.resources if r.name == "outreach")
    return serialize_value(snapshot), dict(outreach.configured_values)


def test_the_ui_sees_the_salts_variable_name_never_its_value(monkeypatch):
    monkeypatch.setenv("SALESAGENT_HASH_SALT", SALT)

    serialized, configured = ui_snapshot()

    assert SALT not in serialized
    assert configured["hash_salt"] == ResourceConfigEnvVarSnap(name="SALESAGENT_HASH_SALT")


def test_a_run_hashes_with_the_salt_the_env_var_holds(monkeypatch):
    monkeypatch.setenv("SALESAGENT_HASH_SALT", SALT)
    outreach = build_definitions().resources["outreach"]

    with build_resources({"outreach": outreach}) as resolved:  # as a run resolves it
        fingerprint = resolved.outreach.fingerprint("ana@brightpath.io")

    assert fingerprint == email_fingerprint("ana@brightpath.io", SALT)
    assert fingerprint != email_fingerprint("ana@brightpath.io", DEV_HASH_SALT)


def test_an_unset_salt_is_the_dev_default_without_touching_the_env(monkeypatch):
    monkeypatch.delenv("SALESAGENT_HASH_SALT", raising=False)

    _, configured = ui_snapshot()
    with build_resources({"outreach": build_definitions().resources["outreach"]}) as resolved:
        fingerprint = resolved.outreach.fingerprint("ana@brightpath.io")

    assert "SALESAGENT_HASH_SALT" not in os.environ
    assert configured["hash_salt"] == f'"{DEV_HASH_SALT}"'  # public, and flagged by the doctor
    assert fingerprint == email_fingerprint("ana@brightpath.io", DEV_HASH_SALT)


def test_an_unresolved_salt_is_refused_rather_than_hashing_with_its_name(monkeypatch):
    monkeypatch.setenv("SALESAGENT_HASH_SALT", SALT)
    outreach = resources_from_env().outreach  # Definitions' resources, not resolved

    with pytest.raises(RuntimeError, match=r"resolve_secrets=True"):
        outreach.unsubscribe_link("lead-key")
    assert resources_from_env(resolve_secrets=True).outreach.salt == SALT


def test_runs_and_the_cli_agree_on_the_configured_salt(sandbox, dagster_home, monkeypatch):
    # A trailing newline, as a secrets file often leaves: runs (Dagster resolves the EnvVar
    # as it is) and the CLI (settings strip it) must still hash alike.
    monkeypatch.setenv("SALESAGENT_HASH_SALT", SALT + "\n")
    cli = resources_from_env(resolve_secrets=True)
    with cli.app_store.session() as session:  # an operator suppresses Bo from the CLI
        suppression.suppress(session, cli.outreach.fingerprint("bo@brightpath.io"), "manual")
    for name in ("ana", "bo"):
        add_submission(
            sandbox.hubspot.url,
            {"email": f"{name}@brightpath.io", "firstname": name.title(), "company": "BrightPath"},
        )

    with DagsterInstance.get() as instance:
        outcomes = {o.status: o for o in process_once(instance).outcomes}

    assert set(outcomes) == {"drafted", "disqualified"}
    assert outcomes["disqualified"].reason == "recipient is on the suppression list"
    drafted_key = outcomes["drafted"].partition_key
    with cli.app_store.session() as session:
        lead = leads.get_lead(session, drafted_key)
        assert lead is not None
        stored_hash = lead.email_hash
    assert stored_hash == email_fingerprint("ana@brightpath.io", SALT)
    assert stored_hash == address_hashes("ana@brightpath.io", cli.outreach.salt)[0]  # erasure
    (draft,) = gmail_state(sandbox.gmail.url)["drafts"]
    header = str(parse_raw(draft["raw"])["List-Unsubscribe"])
    (link,) = [url for url in re.findall(r"<([^>]+)>", header) if url.startswith("http")]
    signature = parse_qs(urlparse(link).query)["sig"][0]
    expected = hmac.new(SALT.encode(), drafted_key.encode(), hashlib.sha256).hexdigest()[:32]
    assert signature == expected

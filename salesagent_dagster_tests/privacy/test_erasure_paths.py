"""Erasure through its other doors: `--hubspot` archives the engagement and task we created,
and the Launchpad's `erase_person` job erases and verifies like the CLI does."""

from __future__ import annotations

from click.testing import CliRunner
from dagster import DagsterInstance

from salesagent_dagster.cli.privacy_commands import erase
from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.services.privacy.person_lookup import address_hashes
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import suppression
from salesagent_dagster_tests.integration.pipeline_harness import (
    gmail_state,
    hubspot_state,
    process_once,
)

ADDRESS = "ana@brightpath.io"


def drafted_lead(sandbox, instance) -> None:
    add_submission(sandbox.hubspot.url, {"email": ADDRESS, "firstname": "Ana"})
    (outcome,) = process_once(instance).outcomes
    assert outcome.status == "drafted"


def test_erase_with_hubspot_archives_what_we_logged_there(sandbox, dagster_home):
    with DagsterInstance.get() as instance:
        drafted_lead(sandbox, instance)
    objects = hubspot_state(sandbox.hubspot.url)["objects"]
    assert len(objects["emails"]) == 1 and len(objects["tasks"]) == 1

    outcome = CliRunner().invoke(erase, [ADDRESS, "--yes", "--hubspot", "--actor", "dpo"])

    assert outcome.exit_code == 0, outcome.output
    objects = hubspot_state(sandbox.hubspot.url)["objects"]
    assert objects["emails"] == [] and objects["tasks"] == []
    assert gmail_state(sandbox.gmail.url)["drafts"] == []


def test_erase_person_job_erases_like_the_cli(sandbox, dagster_home):
    with DagsterInstance.get() as instance:
        drafted_lead(sandbox, instance)
        result = (
            build_definitions()
            .resolve_job_def("erase_person")
            .execute_in_process(
                instance=instance,
                run_config={"ops": {"erase_person_everywhere": {"config": {"email": ADDRESS}}}},
            )
        )
        assert result.success
        resources = resources_from_env(resolve_secrets=True)
        with resources.app_store.session() as session:
            erased_hash = address_hashes(ADDRESS, resources.outreach.salt)[0]
            assert suppression.is_suppressed(session, erased_hash)
        assert gmail_state(sandbox.gmail.url)["drafts"] == []

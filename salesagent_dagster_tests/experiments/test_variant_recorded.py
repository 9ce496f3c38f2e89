"""Through the real pipeline: the draft records its experiment arm and voice version, and
the mail sent is the arm's text."""

from __future__ import annotations

from dagster import AssetKey, DagsterInstance

from salesagent_dagster.domain.experiments import load_experiments
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import drafts
from salesagent_dagster_tests.integration.pipeline_harness import (
    gmail_state,
    parse_raw,
    process_once,
)


def test_the_sent_draft_names_its_arm_and_voice_version(sandbox, dagster_home):
    add_submission(
        sandbox.hubspot.url,
        {"email": "ana@brightpath.io", "firstname": "Ana", "company": "BrightPath"},
    )
    with DagsterInstance.get() as instance:
        (outcome,) = process_once(instance).outcomes
        event = instance.get_latest_materialization_event(AssetKey("draft"))
    key = outcome.partition_key
    expected = load_experiments().assign(key).arms
    with resources_from_env().app_store.session() as session:
        saved = drafts.latest_draft(session, key)
        assert saved.variant == expected and set(expected) == {"first_email_ask"}
        assert saved.voice_version == 0  # nothing learned yet: the default voice
    metadata = event.asset_materialization.metadata
    assert metadata["variant"].value == expected
    assert metadata["voice_profile_version"].value == 0
    (stored,) = [*gmail_state(sandbox.gmail.url)["drafts"], *gmail_state(sandbox.gmail.url)["sent"]]
    assert parse_raw(stored["raw"])["Subject"] == saved.subject
    arm = load_experiments().experiment("first_email_ask").arm(expected["first_email_ask"])
    wanted = "choose whichever time" if arm.variant.call_to_action else "30-minute slot"
    assert wanted in saved.body_text

"""Operator review end to end: the review_lead job records who, when and why, and sends
through the same gated path exactly once; a rejection is final; hard rules refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import reviews, send_ledger, suppression
from salesagent_dagster.store.models import AuditEvent, Draft
from salesagent_dagster_tests.integration.pipeline_harness import (
    gmail_state,
    parse_raw,
    process_once,
)


@pytest.fixture
def instance(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("ALLOW_REAL_SENDS", "true")
    with DagsterInstance.get() as instance:
        yield instance


def unknown_lead(name: str) -> dict[str, str]:
    """Nobody we know, no company in the CRM: the rules engine asks a person."""
    return {"email": f"{name}@quietfarm.co", "firstname": name.title(), "company": "Quiet Farm"}


def needs_review(sandbox, instance, name: str) -> str:
    add_submission(sandbox.hubspot.url, unknown_lead(name))
    (outcome,) = process_once(instance).outcomes
    assert outcome.status == "needs_review"
    return outcome.partition_key


def review(instance, key: str, **config: Any):
    config.setdefault("reviewer", "dana")
    config.setdefault("reason", "looked right to me")
    return (
        build_definitions()
        .resolve_job_def("review_lead")
        .execute_in_process(
            instance=instance,
            partition_key=key,
            run_config={"ops": {"operator_review": {"config": config}}},
        )
    )


def approval_check(result) -> tuple[bool, dict[str, Any]]:
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "operator_approval"
    return evaluation.passed, {k: v.value for k, v in evaluation.metadata.items()}


def sent(sandbox) -> list[Any]:
    return gmail_state(sandbox.gmail.url)["sent"]


def test_the_review_queue_holds_the_lead_until_someone_decides(sandbox, instance):
    key = needs_review(sandbox, instance, "ivy")
    with resources_from_env().app_store.session() as session:
        assert [q.partition_key for q in reviews.review_queue(session)] == [key]
    review(instance, key, action="approve")
    with resources_from_env().app_store.session() as session:
        assert reviews.review_queue(session) == []


def test_approve_sends_exactly_once_and_records_who_when_why(sandbox, instance):
    key = needs_review(sandbox, instance, "ivy")
    result = review(instance, key, action="approve", reason="known from the trade show")
    assert result.success
    passed, metadata = approval_check(result)
    assert passed and metadata["reviewer"] == "dana"
    assert len(sent(sandbox)) == 1
    review(instance, key, action="approve")  # a second approval changes nothing
    build_definitions().resolve_job_def("process_lead").execute_in_process(
        instance=instance, partition_key=key
    )
    assert len(sent(sandbox)) == 1
    with resources_from_env().app_store.session() as session:
        (decision,) = reviews.reviews_for(session, key)
        assert (decision.reviewer, decision.reason) == ("dana", "known from the trade show")
        actions = [e.action for e in session.query(AuditEvent).filter_by(subject=key)]
    assert "review_approve" in actions and "review_approve_refused" in actions


def test_reject_is_final_even_after_reruns_and_later_approvals(sandbox, instance):
    key = needs_review(sandbox, instance, "jon")
    result = review(instance, key, action="reject", reason="student, not a buyer")
    passed, metadata = approval_check(result)
    assert not passed and metadata["action"] == "reject"
    later = review(instance, key, action="approve", reviewer="eve")
    assert not approval_check(later)[0]
    build_definitions().resolve_job_def("process_lead").execute_in_process(
        instance=instance, partition_key=key
    )
    assert sent(sandbox) == []


def test_edit_keeps_the_original_adds_the_footer_and_sends_the_edit(sandbox, instance):
    key = needs_review(sandbox, instance, "kim")
    result = review(
        instance,
        key,
        action="edit",
        new_subject="Your demo, Kim",
        new_body="Hi Kim,\n\nHappy to show you around on Tuesday.\n\nBest,\nRiley",
    )
    assert approval_check(result)[0]
    with resources_from_env().app_store.session() as session:
        versions = session.query(Draft).filter_by(partition_key=key).all()
        original, edited = sorted(versions, key=lambda d: d.version)
    assert original.author == "agent" and edited.author == "dana"
    (message,) = sent(sandbox)
    mime = parse_raw(message["raw"])
    assert mime["Subject"] == "Your demo, Kim"
    text = mime.get_body(("plain",)).get_content()
    assert "Happy to show you around" in text and "Unsubscribe:" in text


def test_edited_draft_is_checked_again_and_soft_rules_need_an_override(sandbox, instance):
    key = needs_review(sandbox, instance, "lou")
    risky = "Hi Lou,\n\nResults are guaranteed results, act now.\n\nBest,\nRiley"
    refused = review(instance, key, action="edit", new_body=risky)
    passed, metadata = approval_check(refused)
    assert not passed and "prohibited_content" in metadata["explanation"]
    assert sent(sandbox) == []
    overridden = review(
        instance, key, action="approve", override_rules=["prohibited_content"],
        reason="legal signed off this wording",
    )  # fmt: skip
    assert approval_check(overridden)[0]
    assert len(sent(sandbox)) == 1


def test_hard_rules_cannot_be_overridden(sandbox, instance):
    key = needs_review(sandbox, instance, "max")
    result = review(instance, key, action="approve", override_rules=["suppression"])
    passed, metadata = approval_check(result)
    assert not passed and "hard rules cannot be overridden" in metadata["explanation"]
    assert sent(sandbox) == []


def test_suppressed_recipient_is_refused_even_when_approved(sandbox, instance):
    key = needs_review(sandbox, instance, "ned")
    outreach = resources_from_env(resolve_secrets=True).outreach
    with resources_from_env().app_store.session() as session:
        suppression.suppress(session, outreach.fingerprint("ned@quietfarm.co"), "unsubscribed")
    result = review(instance, key, action="approve")
    passed, metadata = approval_check(result)
    assert not passed and any("suppression" in f for f in metadata["findings"])
    assert sent(sandbox) == []


def test_a_review_of_an_older_version_is_refused(sandbox, instance):
    key = needs_review(sandbox, instance, "oli")
    review(instance, key, action="edit", new_body="Hi Oli,\n\nShort note.\n\nBest,\nRiley",
           reason="shorter", reviewer="eve", override_rules=[])  # fmt: skip
    # eve's edit was approved and sent; a stale approval of version 1 must not count again
    stale = review(instance, key, action="approve", draft_version=1)
    assert not approval_check(stale)[0]
    assert len(sent(sandbox)) == 1


def test_review_metadata_is_visible_on_the_asset(sandbox, instance):
    key = needs_review(sandbox, instance, "pam")
    review(instance, key, action="reject", reason="wrong region")
    event = instance.get_latest_materialization_event(AssetKey("operator_review"))
    assert event is not None and event.asset_materialization is not None
    assert event.asset_materialization.partition == key
    assert event.asset_materialization.metadata["reason"].value == "wrong region"
    with resources_from_env().app_store.session() as session:
        assert send_ledger.get_entry(session, key) is None


def test_cli_lists_the_queue_and_approves_from_it(sandbox, instance):
    from click.testing import CliRunner

    from salesagent_dagster.cli import main

    key = needs_review(sandbox, instance, "quin")
    listed = CliRunner().invoke(main, ["review", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)["queue"]
    assert row["partition_key"] == key and row["draft_version"] == 1
    shown = CliRunner().invoke(main, ["review", "show", key])
    assert "draft version 1 by agent" in shown.output
    approved = CliRunner().invoke(
        main, ["review", "approve-all", "--reviewer", "dana", "--reason", "batch ok"]
    )
    assert f"{key}: approved" in approved.output
    assert len(sent(sandbox)) == 1

"""A learned threshold through the real pipeline (sensor, assets, checks, send graph) against
the emulators: send_decision records the learned threshold and decides by it, and shadow
mode and the kill switch still hold every lead it would let through.

The demo's morning holds three leads whose best rule is 0.85, 0.90 and 0.95. The rules file
says 0.95; the learner, live, has applied 0.90, so the 0.90 lead is auto-approved too."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance

from salesagent_dagster.local.demo_seed import seed_demo
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import controls, drafts, threshold_changes
from salesagent_dagster_tests.conftest import fresh_dagster_home, sandbox_env
from salesagent_dagster_tests.integration.pipeline_harness import gmail_state, process_once

RULES = (
    "auto_approve_threshold = 0.95\nshadow_mode = {shadow}\n"
    "[learner]\nenabled = true\nshadow = false\nfloor = 0.85\n"
)


@pytest.mark.parametrize("held_by", ["kill_switch", "shadow_mode"])
def test_shadow_mode_and_the_kill_switch_hold_what_a_learned_threshold_lets_through(
    tmp_path, monkeypatch, held_by
):
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES.format(shadow=str(held_by == "shadow_mode").lower()), encoding="utf-8")
    monkeypatch.setenv("SALESAGENT_RULES_FILE", str(rules))
    with sandbox_env() as sandbox, fresh_dagster_home(tmp_path):
        resources = resources_from_env(resolve_secrets=True)
        with resources.app_store.session() as session:
            threshold_changes.add_change(
                session, mode="live", previous_threshold=0.95, proposed_threshold=0.90,
                applied=True, reason="test: learned", figures={"sends": 100}, actor="test",
            )  # fmt: skip
            if held_by == "kill_switch":
                controls.set_control(
                    session, controls.KILL_SWITCH, True, actor="dana", reason="test"
                )
        assert resources.outreach.rule_settings().auto_approve_threshold == 0.90
        seed_demo(sandbox.hubspot.url, sandbox.gmail.url)
        with DagsterInstance.get() as instance:
            result = process_once(instance)

        assert {o.run_status for o in result.outcomes} == {"SUCCESS"}
        with resources.app_store.session() as session:
            decisions = [
                d
                for o in result.outcomes
                if (d := drafts.latest_decision(session, o.partition_key)) is not None
            ]
        assert decisions and {d.threshold for d in decisions} == {0.90}
        by_confidence = {d.confidence: d.outcome for d in decisions}
        if held_by == "kill_switch":
            # Decided by the learned threshold (0.90 passes, 0.85 does not) ...
            assert by_confidence[0.90] == by_confidence[0.95] == "auto_approve"
            assert by_confidence[0.85] == "needs_review"
        else:
            assert "auto_approve" not in {d.outcome for d in decisions}
        # ... and nothing reached Gmail: not a send, not even a draft.
        mailbox = gmail_state(sandbox.gmail.url)
        assert mailbox["sent"] == [] and mailbox["drafts"] == []

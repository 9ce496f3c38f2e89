"""The whole path: a lead waiting for review unsubscribes through the link in its draft;
an operator's approval afterwards sends nothing (the send-time gate reads suppression)."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance
from sqlalchemy import select

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.store.models import Draft
from salesagent_dagster_tests.edge.edge_server import one_click, serving
from salesagent_dagster_tests.integration.pipeline_harness import gmail_state, process_once


@pytest.fixture
def instance(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("ALLOW_REAL_SENDS", "true")
    with DagsterInstance.get() as instance:
        yield instance


def test_a_lead_that_unsubscribed_before_its_send_gets_nothing(sandbox, instance, monkeypatch):
    def context_for(url: str) -> EdgeContext:
        # The emails' links point at this edge, as SALESAGENT_UNSUBSCRIBE_URL says in prod.
        monkeypatch.setenv("SALESAGENT_UNSUBSCRIBE_URL", f"{url}/unsubscribe")
        return EdgeContext.from_env()

    with serving(context_for) as (_, context):
        add_submission(
            sandbox.hubspot.url,
            {"email": "ned@quietfarm.co", "firstname": "Ned", "company": "Quiet Farm"},
        )
        (outcome,) = process_once(instance).outcomes
        assert outcome.status == "needs_review"
        key = outcome.partition_key
        link = context.outreach.unsubscribe_link(key)
        with context.app_store.session() as session:
            (body,) = session.scalars(select(Draft.body_text).where(Draft.partition_key == key))
        assert link in body  # the recipient clicks what the email would carry
        assert one_click(link).status == 200

        result = (
            build_definitions()
            .resolve_job_def("review_lead")
            .execute_in_process(
                instance=instance,
                partition_key=key,
                run_config={
                    "ops": {
                        "operator_review": {
                            "config": {"action": "approve", "reviewer": "dana", "reason": "ok"}
                        }
                    }
                },
            )
        )
    (evaluation,) = result.get_asset_check_evaluations()
    findings = str(evaluation.metadata["findings"].value)
    assert not evaluation.passed and "suppression" in findings
    mailbox = gmail_state(sandbox.gmail.url)
    assert mailbox["sent"] == [] and mailbox.get("drafts", []) == []

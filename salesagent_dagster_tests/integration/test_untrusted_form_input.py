"""DESIGN I-11 end to end: the three attacks an outside tester sent through the form with real
sends on (issue 11) go through the real sensor, runs, review job and Gmail emulator. None is
sent unattended; once an operator overrides `suspicious_input`, what Gmail receives holds no
header, greeting, subject or body text of the attacker's; and nothing of it is stored by
Dagster under DAGSTER_HOME (the app DB aside, which is where PII may live)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path
from string import Template
from typing import Any

import pytest
from dagster import DagsterInstance
from dagster._serdes import serialize_value

from salesagent_dagster.definitions import build_definitions
from salesagent_dagster.domain.experiments import load_experiments
from salesagent_dagster.local.demo_seed import add_submission
from salesagent_dagster.settings import resources_from_env
from salesagent_dagster.store import drafts, leads, reviews
from salesagent_dagster_tests.integration.pipeline_harness import (
    gmail_state,
    hubspot_state,
    parse_raw,
    process_once,
)

SCRIPT_MESSAGE = (
    "Loved the webinar! <script>alert(1)</script> <img src=x onerror=alert(1)> "
    '<a href="javascript:alert(1)">claim your prize</a> or javascript:alert(2)'
)

# brightpath.io is the sandbox's known-good domain: without the finding these would go out
# unattended at confidence 0.90, as the clean control lead does.
ATTACKS = {
    "first name": {
        "email": "eve@brightpath.io", "firstname": "Eve\r\nBcc: victim@evil.test",
        "company": "BrightPath",
    },
    "company": {
        "email": "hal@brightpath.io", "firstname": "Hal",
        "company": "Harbor Robotics\r\nCc: attacker@evil.test\r\nX-Injected: yes",
    },
    "message": {
        "email": "mo@brightpath.io", "firstname": "Mo", "company": "BrightPath",
        "message": SCRIPT_MESSAGE,
    },
}  # fmt: skip
CONTROL = {"email": "ana@brightpath.io", "firstname": "Ana", "company": "BrightPath"}

# Attacker text that must appear nowhere a recipient or the Dagster instance sees it.
NEEDLES = ("evil.test", "<script", "onerror", "javascript", "x-injected", "bcc:", "cc: attacker",
           "harbor robotics", "claim your prize", "loved the webinar")  # fmt: skip


@pytest.fixture
def instance(sandbox, dagster_home, monkeypatch):
    monkeypatch.setenv("ALLOW_REAL_SENDS", "true")
    with DagsterInstance.get() as instance:
        yield instance


def review(instance: DagsterInstance, key: str, **config: Any) -> dict[str, Any]:
    config = {"reviewer": "dana", "reason": "called them, the request is real", **config}
    result = (
        build_definitions()
        .resolve_job_def("review_lead")
        .execute_in_process(
            instance=instance,
            partition_key=key,
            run_config={"ops": {"operator_review": {"config": config}}},
        )
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return {"passed": evaluation.passed, **{k: v.value for k, v in evaluation.metadata.items()}}


def everything_said(message: EmailMessage) -> str:
    """Every header and the text of every part, decoded: all a recipient can see."""
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    parts = [part.get_content() for part in message.walk() if not part.is_multipart()]
    return "\n".join([headers, *parts])


def greeting(message: EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content()).splitlines()[0]


def dagster_storage_text(instance: DagsterInstance) -> str:
    """Run tags and config, every event, every file under DAGSTER_HOME but the app DB."""
    haystacks = []
    for run in instance.get_runs():
        haystacks.append(json.dumps([run.tags, run.run_config], ensure_ascii=False))
        haystacks += [serialize_value(entry) for entry in instance.all_logs(run.run_id)]
    for path in Path(instance.root_directory).rglob("*"):
        if path.is_file() and not path.name.startswith("salesagent.db"):
            haystacks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(haystacks).lower()


def first_subject(app_store: Any, key: str, about: str) -> str:
    """The subject the lead's experiment arm (recorded on its draft) gives, `about` being
    the cleaned company part: the writer's own unless the arm has a subject of its own."""
    with app_store.session() as session:
        arms = drafts.latest_draft(session, key).variant or {}
    experiment = load_experiments().experiment("first_email_ask")
    arm = experiment.arm(arms["first_email_ask"]) if experiment else None
    if arm is None or not arm.variant.subject:
        return f"Your demo request{about}"
    return Template(arm.variant.subject).substitute(about=about)


def test_form_injection_markup_and_links_never_reach_a_recipient_or_dagster(sandbox, instance):
    for values in (*ATTACKS.values(), CONTROL):
        add_submission(sandbox.hubspot.url, values)
    result = process_once(instance)
    app_store = resources_from_env().app_store
    field_of = {values["email"]: field for field, values in ATTACKS.items()}
    keys: dict[str, str] = {}
    statuses: dict[str, str] = {}
    with app_store.session() as session:
        for outcome in result.outcomes:
            lead = leads.get_lead(session, outcome.partition_key)
            field = field_of.get(lead.email, "control")
            keys[field], statuses[field] = outcome.partition_key, outcome.status
    # The control lead shows that these addresses would otherwise go out unattended.
    assert statuses == {"control": "sent", **dict.fromkeys(ATTACKS, "needs_review")}

    with app_store.session() as session:
        for field in ATTACKS:
            decision = drafts.latest_decision(session, keys[field])
            assert decision.outcome == "needs_review"
            assert "suspicious_input: " in decision.rationale
            assert f"(form field {field})" in decision.rationale
            assert "evil" not in decision.rationale and "<" not in decision.rationale
        assert {q.partition_key for q in reviews.review_queue(session)} == {
            keys[field] for field in ATTACKS
        }
        eve = leads.get_lead(session, keys["first name"])
        hal = leads.get_lead(session, keys["company"])
        assert (eve.first_name, hal.company) == ("", "")  # not a name: stored as no name

    # An approval that does not take on the finding is refused; one that does goes out.
    for field in ATTACKS:
        refused = review(instance, keys[field], action="approve")
        assert not refused["passed"]
        assert "override with: suspicious_input" in refused["explanation"]
        approved = review(
            instance, keys[field], action="approve", override_rules=["suspicious_input"]
        )
        assert approved["passed"], approved["explanation"]

    mailbox = gmail_state(sandbox.gmail.url)
    messages = [parse_raw(m["raw"]) for m in mailbox["sent"] + mailbox["drafts"]]
    assert len(messages) == 4
    by_recipient = {m["To"].addresses[0].addr_spec: m for m in messages}
    eve_mail, hal_mail = by_recipient["eve@brightpath.io"], by_recipient["hal@brightpath.io"]
    mo_mail = by_recipient["mo@brightpath.io"]
    assert eve_mail["Subject"] == first_subject(app_store, keys["first name"], " for BrightPath")
    assert greeting(eve_mail) == "Hello,"
    assert hal_mail["Subject"] == first_subject(app_store, keys["company"], "")
    assert greeting(hal_mail) == "Hi Hal,"
    assert "read the note you left" in mo_mail.get_body(("plain",)).get_content()
    for message in messages:
        assert message["Bcc"] is None and message["Cc"] is None
        assert message["X-Injected"] is None
        said = everything_said(message).lower()
        assert [needle for needle in NEEDLES if needle in said] == []

    crm = json.dumps(hubspot_state(sandbox.hubspot.url)["objects"]).lower()
    assert "evil.test" not in crm and "<script" not in crm

    stored = dagster_storage_text(instance)
    assert all(key in stored for key in keys.values())  # the scan does see these runs
    assert [needle for needle in NEEDLES if needle in stored] == []

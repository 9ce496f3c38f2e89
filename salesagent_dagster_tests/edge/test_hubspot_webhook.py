"""`POST /webhooks/hubspot` served for real, driven by the HubSpot emulator's workflow webhook
(signed as HubSpot signs) and by hand-made requests for what HubSpot would never send."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from salesagent_dagster.defs.intake.form_polling import poll_form_submissions
from salesagent_dagster.domain.hubspot_signature import sign_v3
from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.sandbox import HubSpotEmulator
from salesagent_dagster.sandbox.hubspot_emulator import DEFAULT_FORM_ID
from salesagent_dagster.store.database import dispose_engine, migrate, session_scope
from salesagent_dagster.store.models import Submission
from salesagent_dagster_tests.edge.conftest import edge_context
from salesagent_dagster_tests.edge.edge_server import Answer, call, serving

SECRET = "hubspot-app-client-secret"
FORM_VALUES = {"email": "ana@acme.io", "firstname": "Ana", "company": "Acme"}


@dataclass
class Webhook:
    url: str
    context: EdgeContext
    hubspot: HubSpotEmulator
    started: list[list[str]]

    def post(self, body: bytes, *, secret: str = SECRET, timestamp: str | None = None) -> Answer:
        stamp = timestamp or str(int(time.time() * 1000))
        signature = sign_v3(secret, "POST", self.url, body.decode(), stamp)
        headers = {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp}
        return call("POST", self.url, body, "application/json", headers)

    def rows(self) -> list[Submission]:
        with session_scope(self.context.app_store.database_url) as session:
            rows = list(session.scalars(select(Submission).order_by(Submission.id)))
            session.expunge_all()
            return rows


def _serve(database_url: str, hubspot_emulator: HubSpotEmulator, secret: str = SECRET):
    started: list[list[str]] = []

    def make(url: str) -> EdgeContext:
        return replace(
            edge_context(database_url, hubspot_emulator.url, url),
            hubspot_client_secret=secret,
            start_runs=lambda keys: started.append(list(keys)),
        )

    return serving(make), started


@pytest.fixture
def webhook(database_url: str, hubspot_emulator: HubSpotEmulator) -> Iterator[Webhook]:
    served, started = _serve(database_url, hubspot_emulator)
    with served as (url, context):
        hook = Webhook(f"{url}/webhooks/hubspot", context, hubspot_emulator, started)
        hubspot_emulator.use_workflow_webhook(hook.url, SECRET)
        yield hook
        hubspot_emulator.use_workflow_webhook(None)


def _started(webhook: Webhook, count: int) -> list[list[str]]:
    """The runs started so far, once `count` have been (they start after the answer)."""
    deadline = time.monotonic() + 10
    while len(webhook.started) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return webhook.started


def _submission_body(conversion_id: str = "conv-1", **extra: object) -> bytes:
    item = {
        "formId": DEFAULT_FORM_ID,
        "conversionId": conversion_id,
        "submittedAt": int(time.time() * 1000),
        "values": [{"name": k, "value": v} for k, v in FORM_VALUES.items()],
        "pageUrl": "https://www.seller.example/demo",
        **extra,
    }
    return json.dumps(item).encode()


def test_a_pushed_submission_is_stored_as_the_poller_stores_it_and_polled_again_makes_no_second(
    webhook: Webhook,
):
    item = webhook.hubspot.add_submission(DEFAULT_FORM_ID, FORM_VALUES)
    assert webhook.hubspot.workflow_webhook is not None
    webhook.hubspot.workflow_webhook.wait()
    assert [d.status for d in webhook.hubspot.workflow_webhook.deliveries] == [200]
    [row] = webhook.rows()
    assert (row.form_id, row.conversion_id, row.status) == (
        DEFAULT_FORM_ID,
        item["conversionId"],
        "accepted",
    )
    assert row.payload == {"raw": item}  # the submissions API's shape, without the envelope
    assert row.email_hash == webhook.context.outreach.fingerprint("ana@acme.io")
    assert _started(webhook, 1) == [[row.partition_key]]

    report = poll_form_submissions(
        webhook.context.hubspot,
        lambda: session_scope(webhook.context.app_store.database_url),
        webhook.context.outreach.fingerprint,
    )
    assert (report.seen, report.new_accepted) == (1, 0)
    assert [r.partition_key for r in webhook.rows()] == [row.partition_key]


def test_a_polled_submission_pushed_late_is_a_duplicate_and_starts_no_run(webhook: Webhook):
    webhook.hubspot.use_workflow_webhook(None)
    item = webhook.hubspot.add_submission(DEFAULT_FORM_ID, FORM_VALUES)
    poll_form_submissions(
        webhook.context.hubspot,
        lambda: session_scope(webhook.context.app_store.database_url),
        webhook.context.outreach.fingerprint,
    )
    answer = webhook.post(json.dumps({"formId": DEFAULT_FORM_ID, **item}).encode())
    assert answer.status == 200
    assert json.loads(answer.body) == {"status": "ok", "stored": 0, "duplicates": 1, "rejected": 0}
    assert len(webhook.rows()) == 1
    assert webhook.started == []


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("forged", "signature forged"),
        ("stale", "signature stale"),
        ("missing", "signature missing"),
    ],
)
def test_an_unsigned_forged_or_stale_request_is_refused_with_a_final_401(
    webhook: Webhook, kind: str, expected: str
):
    body = _submission_body()
    if kind == "forged":
        answer = webhook.post(body, secret="not-the-secret")
    elif kind == "stale":
        answer = webhook.post(body, timestamp=str(int(time.time() * 1000) - 6 * 60 * 1000))
    else:
        answer = call("POST", webhook.url, body, "application/json")
    assert (answer.status, json.loads(answer.body)["reason"]) == (401, expected)
    assert webhook.rows() == []


def test_a_body_changed_after_signing_is_refused(webhook: Webhook):
    stamp = str(int(time.time() * 1000))
    signature = sign_v3(SECRET, "POST", webhook.url, _submission_body().decode(), stamp)
    headers = {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp}
    tampered = _submission_body(conversion_id="conv-2")
    assert call("POST", webhook.url, tampered, "application/json", headers).status == 401
    assert webhook.rows() == []


def test_bad_bodies_get_a_final_4xx_and_a_malformed_submission_is_recorded_with_its_reason(
    webhook: Webhook,
):
    assert webhook.post(b"{not json").status == 400
    assert webhook.post(json.dumps({"conversionId": "x"}).encode()).status == 400  # no formId
    unknown = webhook.post(_submission_body(formId="some-other-form"))
    assert (unknown.status, json.loads(unknown.body)["reason"]) == (
        422,
        "form some-other-form is not one this installation reads",
    )
    malformed = webhook.post(json.dumps({"formId": DEFAULT_FORM_ID, "values": []}).encode())
    assert json.loads(malformed.body)["rejected"] == 1
    [row] = webhook.rows()
    assert (row.status, row.reject_reason) == ("rejected", "submittedAt is missing or not a number")
    assert webhook.started == []


def test_without_a_client_secret_the_webhook_asks_hubspot_to_retry(
    database_url: str, hubspot_emulator: HubSpotEmulator
):
    served, _ = _serve(database_url, hubspot_emulator, secret="")
    with served as (url, _context):
        answer = call("POST", f"{url}/webhooks/hubspot", _submission_body(), "application/json")
    assert answer.status == 503


def test_an_inbox_that_is_down_answers_503_and_hubspot_s_retry_stores_it_once(
    tmp_path: Path, hubspot_emulator: HubSpotEmulator
):
    url = f"sqlite:///{tmp_path / 'late.db'}"  # not migrated yet: every insert fails
    served, started = _serve(url, hubspot_emulator)
    try:
        with served as (edge_url, _context):
            hubspot_emulator.use_workflow_webhook(f"{edge_url}/webhooks/hubspot", SECRET)
            hubspot_emulator.add_submission(DEFAULT_FORM_ID, FORM_VALUES)
            webhook = hubspot_emulator.workflow_webhook
            assert webhook is not None
            deadline = time.monotonic() + 10
            while not webhook.deliveries and time.monotonic() < deadline:
                time.sleep(0.05)
            migrate(url)  # the database is back before HubSpot's next attempt
            webhook.wait()
            statuses = [d.status for d in webhook.deliveries]
            deadline = time.monotonic() + 10
            while not started and time.monotonic() < deadline:  # it starts after the answer
                time.sleep(0.02)
            with session_scope(url) as session:
                stored = session.scalar(select(func.count()).select_from(Submission))
    finally:
        hubspot_emulator.use_workflow_webhook(None)
        dispose_engine(url)
    assert statuses[0] == 503 and statuses[-1] == 200
    assert stored == 1
    assert len(started) == 1

"""One-click unsubscribe through the edge served for real (uvicorn, HTTP), over a real app
DB and the HubSpot emulator read back through the official client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from salesagent_dagster.domain.unsubscribe_token import sign
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import AuditEvent, SendDeferral, Suppression, utc_now
from salesagent_dagster_tests.edge.conftest import SALT, Edge
from salesagent_dagster_tests.edge.edge_server import FORM, call, one_click, wait_for

EMAIL = "ana@acme.io"


def suppressions(edge: Edge) -> list[tuple[str, str]]:
    with session_scope(edge.database_url) as session:
        return [(s.email_hash, s.reason) for s in session.scalars(select(Suppression))]


def audit_rows(edge: Edge) -> list[AuditEvent]:
    with session_scope(edge.database_url) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def actions(edge: Edge) -> list[str]:
    return [row.action for row in audit_rows(edge)]


def hubspot_statuses(edge: Edge, email: str = EMAIL) -> dict[str, str]:
    answer = edge.context.hubspot.client.communication_preferences.status_api.get_email_status(
        email
    )
    return {status.id: status.status for status in answer.subscription_statuses}


def opted_out_in_hubspot(edge: Edge, email: str = EMAIL) -> bool:
    active = edge.context.hubspot.active_subscription_ids()
    statuses = hubspot_statuses(edge, email)
    return bool(active) and all(statuses.get(i) == "NOT_SUBSCRIBED" for i in active)


def nothing_changed(edge: Edge) -> bool:
    return suppressions(edge) == [] and audit_rows(edge) == [] and hubspot_statuses(edge) == {}


def test_one_click_post_suppresses_audits_and_opts_out_in_hubspot(edge: Edge):
    key = edge.add_lead(EMAIL)
    answer = one_click(edge.link(key))
    assert answer.status == 200 and "You are unsubscribed" in answer.body
    # Committed before the 200: the send-time gate sees it from now on.
    assert suppressions(edge) == [(edge.context.outreach.fingerprint(EMAIL), "unsubscribed")]
    (opt_out,) = [row for row in audit_rows(edge) if row.action == "unsubscribed"]
    assert (opt_out.actor, opt_out.subject) == ("recipient", key)
    assert opt_out.details == {"source": "one_click", "cancelled": []}
    assert wait_for(lambda: "hubspot_opt_out_done" in actions(edge))
    assert opted_out_in_hubspot(edge)
    assert all(EMAIL not in str(row.details) for row in audit_rows(edge))


def test_a_repeat_post_answers_the_same_and_doubles_nothing(edge: Edge):
    key = edge.add_lead(EMAIL)
    first = one_click(edge.link(key))
    assert wait_for(lambda: "hubspot_opt_out_done" in actions(edge))
    second = one_click(edge.link(key))
    assert (second.status, second.body) == (first.status, first.body) == (200, first.body)
    assert len(suppressions(edge)) == 1
    assert sorted(actions(edge)) == [
        "hubspot_opt_out_done", "hubspot_opt_out_pending", "unsubscribed",
    ]  # fmt: skip
    assert opted_out_in_hubspot(edge)


def test_get_shows_a_confirmation_page_whose_button_posts_and_changes_nothing(edge: Edge):
    key = edge.add_lead(EMAIL)
    link = edge.link(key)
    page = call("GET", link)
    assert page.status == 200
    assert '<form method="post" action="?lead=' in page.body
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in page.body
    assert nothing_changed(edge)
    # The button: a browser posts the form's fields to the action, relative to the link.
    action = page.body.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert parse_qs(action[1:]) == parse_qs(urlsplit(link).query)
    assert (
        call("POST", link.split("?", 1)[0] + action, b"List-Unsubscribe=One-Click", FORM).status
        == 200
    )
    assert len(suppressions(edge)) == 1


def test_every_answer_carries_the_security_headers(edge: Edge):
    key = edge.add_lead(EMAIL)
    for answer in (call("GET", edge.link(key)), one_click(edge.link(key) + "0")):
        csp = answer.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "form-action 'self'" in csp
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert "Set-Cookie" not in answer.headers and "Location" not in answer.headers


def test_a_multipart_one_click_body_counts_too(edge: Edge):
    key = edge.add_lead(EMAIL)
    body = (
        b'--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        b"One-Click\r\n--b--\r\n"
    )
    assert call("POST", edge.link(key), body, "multipart/form-data; boundary=b").status == 200
    assert len(suppressions(edge)) == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_forged_signature_is_403_and_changes_nothing(edge: Edge, method: str):
    key = edge.add_lead(EMAIL)
    other = edge.add_lead("bo@acme.io")
    good = sign(key, SALT)
    flipped = ("0" if good[0] != "0" else "1") + good[1:]
    for signature in (flipped, sign(other, SALT), sign(key, "another-salt")):
        answer = call(method, f"{edge.url}/unsubscribe?lead={key}&sig={signature}",
                      b"List-Unsubscribe=One-Click" if method == "POST" else None, FORM)  # fmt: skip
        assert answer.status == 403, signature
        assert "This link does not work" in answer.body
    assert nothing_changed(edge)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "lead=sub_1",
        "sig=" + "a" * 32,
        "lead=sub_1&sig=" + "z" * 32,  # not hex
        "lead=sub_1&sig=" + "a" * 31,  # too short
        "lead=sub_1&sig=" + "a" * 64,  # too long (the whole digest)
        "lead=&sig=" + "a" * 32,
        "lead=sub%201&sig=" + "a" * 32,  # no key has a space
        "lead=sub_1&lead=sub_2&sig=" + "a" * 32,
    ],
)
def test_a_malformed_link_is_400_and_changes_nothing(edge: Edge, query: str):
    edge.add_lead(EMAIL)
    for method in ("GET", "POST"):
        answer = call(method, f"{edge.url}/unsubscribe?{query}",
                      b"List-Unsubscribe=One-Click" if method == "POST" else None, FORM)  # fmt: skip
        assert answer.status == 400
    assert nothing_changed(edge)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"", FORM), (b"List-Unsubscribe=Yes", FORM), (b"List-Unsubscribe=One-Click", "text/plain")],
)
def test_a_post_without_the_one_click_body_is_400_and_changes_nothing(
    edge: Edge, body: bytes, content_type: str
):
    key = edge.add_lead(EMAIL)
    assert call("POST", edge.link(key), body, content_type).status == 400
    assert nothing_changed(edge)


def test_unknown_and_erased_leads_get_the_same_answer_as_a_success(edge: Edge):
    real = one_click(edge.link(edge.add_lead("cy@acme.io")))
    assert wait_for(lambda: "hubspot_opt_out_done" in actions(edge))
    before = (suppressions(edge), actions(edge))
    erased = edge.add_lead(email=None)  # the row outlived its address
    for key in ("sub_" + "0" * 20, erased):
        for method, body in (("GET", None), ("POST", b"List-Unsubscribe=One-Click")):
            answer = call(method, edge.link(key), body, FORM)
            assert answer.status == 200
        assert (answer.status, answer.body) == (real.status, real.body)
    assert (suppressions(edge), actions(edge)) == before


def test_a_parked_first_email_is_cancelled(edge: Edge):
    key = edge.add_lead(EMAIL)
    with session_scope(edge.database_url) as session:
        session.add(SendDeferral(partition_key=key, reason="held: kill switch is on",
                                 next_attempt_at=utc_now()))  # fmt: skip
    assert one_click(edge.link(key)).status == 200
    with session_scope(edge.database_url) as session:
        assert session.scalar(select(func.count()).select_from(SendDeferral)) == 0
    (opt_out,) = [row for row in audit_rows(edge) if row.action == "unsubscribed"]
    assert opt_out.details["cancelled"] == ["first_email"]


def test_no_redirects_and_only_what_a_route_allows(edge: Edge):
    key = edge.add_lead(EMAIL)
    assert call("GET", edge.link(key).replace("/unsubscribe?", "/unsubscribe/?")).status == 404
    assert call("PUT", edge.link(key), b"", FORM).status == 405
    assert nothing_changed(edge)

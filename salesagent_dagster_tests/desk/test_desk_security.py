"""Only operators reach the desk, only in their role, only from the desk's own forms; what a
lead typed is shown as text; guessing passwords is stopped. Served by uvicorn for real."""

from __future__ import annotations

from sqlalchemy import func, select

from salesagent_dagster.store import controls
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import AuditEvent, Draft, ReviewDecision
from salesagent_dagster_tests.desk.conftest import PASSWORDS


def counts(database_url: str) -> tuple[int, int, int]:
    with session_scope(database_url) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (ReviewDecision, Draft, AuditEvent)
        )


def test_no_session_no_queue(desk):
    key = desk.add_waiting_lead(first_name="Hidden")
    client = desk.client()
    queue = client.get("/review")
    assert queue.status == 303 and queue.location.startswith("/signin")
    assert "Hidden" not in queue.body
    assert client.get(f"/review/lead/{key}").status == 303
    assert client.post(f"/review/lead/{key}", [("action", "approve")]).status == 401
    assert client.get("/auth/check").status == 401
    forged = desk.client()
    forged.cookies["salesagent_desk"] = "eyJvcCI6ImFkYSJ9.forged.signature"
    assert forged.get("/review").status == 303


def test_signed_in_viewer_reads_the_queue_but_cannot_act(desk):
    key = desk.add_waiting_lead(first_name="Visible")
    viewer = desk.signed_in("vera")
    queue = viewer.get("/review")
    assert queue.status == 200 and "Visible" in queue.body
    before = counts(desk.database_url)
    csrf = queue.csrf()
    refused = viewer.post(f"/review/lead/{key}", [("csrf", csrf), ("action", "reject"),
                                                  ("version", "1"), ("reason", "no")])  # fmt: skip
    assert refused.status == 403
    assert counts(desk.database_url) == before
    check = viewer.get("/auth/check")
    assert check.status == 200 and check.headers["x-salesagent-role"] == "viewer"


def test_reviewer_cannot_flip_the_kill_switch_and_admin_can_with_a_reason(desk):
    reviewer = desk.signed_in("rick")
    csrf = reviewer.get("/review").csrf()
    answer = reviewer.post("/review/kill-switch",
                           [("csrf", csrf), ("state", "on"), ("reason", "panic")])  # fmt: skip
    assert answer.status == 403
    with session_scope(desk.database_url) as session:
        assert not controls.kill_switch_on(session, forced=False)
    admin = desk.signed_in("ada")
    csrf = admin.get("/review").csrf()
    admin.post("/review/kill-switch", [("csrf", csrf), ("state", "on"), ("reason", "")])
    with session_scope(desk.database_url) as session:
        assert not controls.kill_switch_on(session, forced=False)  # no reason, no change
    admin.post("/review/kill-switch", [("csrf", csrf), ("state", "on"), ("reason", "bad batch")])
    with session_scope(desk.database_url) as session:
        assert controls.kill_switch_on(session, forced=False)
        control = controls.get_control(session, controls.KILL_SWITCH)
        assert control is not None and (control.updated_by, control.reason) == ("ada", "bad batch")


def test_forged_or_missing_csrf_changes_nothing(desk):
    key = desk.add_waiting_lead()
    reviewer = desk.signed_in("rick")
    admin = desk.signed_in("ada")
    before = counts(desk.database_url)
    edit = [("action", "edit"), ("version", "1"), ("subject", "Changed"), ("body", "New text")]
    assert reviewer.post(f"/review/lead/{key}", edit).status == 403
    assert reviewer.post(f"/review/lead/{key}", [("csrf", "forged"), *edit]).status == 403
    # Another operator's valid token is not this session's.
    other = admin.get("/review").csrf()
    assert reviewer.post(f"/review/lead/{key}", [("csrf", other), *edit]).status == 403
    assert admin.post("/review/kill-switch", [("state", "on"), ("reason", "x")]).status == 403
    assert counts(desk.database_url) == before
    with session_scope(desk.database_url) as session:
        assert not controls.kill_switch_on(session, forced=False)


def test_a_second_tabs_stale_version_is_refused(desk):
    key = desk.add_waiting_lead(versions=2)  # version 2 appeared after the tab read 1
    reviewer = desk.signed_in("rick")
    page = reviewer.get(f"/review/lead/{key}")
    assert 'name="version" value="2"' in page.body
    before = counts(desk.database_url)
    for action in ("approve", "edit"):
        answer = reviewer.post(f"/review/lead/{key}", [
            ("csrf", page.csrf()), ("action", action), ("version", "1"), ("reason", "ok"),
            ("subject", "Stale"), ("body", "Text from the stale tab"),
        ])  # fmt: skip
        assert answer.status == 303
        shown = reviewer.get(answer.location).body
        assert "you read version 1 but the latest is 2; nothing was done" in shown
    assert counts(desk.database_url) == before


def test_html_in_a_leads_fields_renders_as_text(desk):
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    key = desk.add_waiting_lead(first_name=attack, company=attack, message=attack)
    reviewer = desk.signed_in("rick")
    for path in ("/review", f"/review/lead/{key}", "/review?q=%3Cscript%3E"):
        page = reviewer.get(path)
        assert page.status == 200
        assert "<script>alert" not in page.body and "<img src=x" not in page.body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.body
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp


def test_brute_force_sign_in_is_slowed(desk):
    guesser = desk.client()
    answers = [guesser.sign_in("rick", f"guess-{n}").status for n in range(5)]
    assert answers == [401] * 5
    # The sixth try is refused unchecked, even with the right password.
    locked = guesser.sign_in("rick", PASSWORDS["rick"])
    assert locked.status == 429 and int(locked.headers["retry-after"]) > 0
    assert "salesagent_desk" not in guesser.cookies
    # Other accounts from elsewhere are not locked by it.
    assert desk.client().sign_in("ada", PASSWORDS["ada"]).status == 303


def test_unknown_name_and_wrong_password_answer_alike(desk):
    wrong = desk.client().sign_in("rick", "not-the-password")
    nobody = desk.client().sign_in("nobody", "not-the-password")
    assert (wrong.status, nobody.status) == (401, 401)
    # Alike but for each browser's own CSRF token.
    assert wrong.body.replace(wrong.csrf(), "") == nobody.body.replace(nobody.csrf(), "")


def test_sign_in_goes_back_only_to_this_origin(desk):
    answer = desk.client().sign_in("rick", PASSWORDS["rick"], next_path="//evil.example/x")
    assert answer.status == 303 and answer.location == "/review"


def test_the_public_surface_has_no_desk(database_url, hubspot_emulator):
    from salesagent_dagster_tests.desk.conftest import add_operators
    from salesagent_dagster_tests.edge.conftest import edge_context
    from salesagent_dagster_tests.edge.edge_server import serving

    add_operators(database_url)
    with serving(lambda url: edge_context(database_url, hubspot_emulator.url, url)) as (url, _):
        from salesagent_dagster_tests.desk.desk_client import DeskClient

        client = DeskClient(url)
        assert client.get("/review").status == 404
        assert client.get("/signin").status == 404
        signing_in = [("name", "rick"), ("password", PASSWORDS["rick"])]
        assert client.post("/signin", signing_in).status in (404, 405)

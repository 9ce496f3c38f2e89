"""A reviewer on the desk stops an approved email in its undo window: the desk's hold is the
CLI's (services.undo_window.hold), recorded with the signed-in reviewer, and the held lead is
back in the desk's queue, marked held, until someone decides it again (SQLite and Postgres)."""

from __future__ import annotations

from datetime import timedelta

from salesagent_dagster.store import deferrals, reviews
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import ReviewDecision, utc_now


def approve_into_the_window(url: str, key: str) -> None:
    """As the review run leaves it: approved, and the send parked until the window closes."""
    with session_scope(url) as session:
        reviews.record_review(session, ReviewDecision(
            partition_key=key, action="approve", reviewer="ada", reason="fine", draft_version=1,
        ))  # fmt: skip
        deferrals.defer(
            session, key, f"{deferrals.UNDO_WINDOW}: goes soon", utc_now() + timedelta(hours=1)
        )


def test_a_reviewer_holds_an_email_in_its_window_and_it_returns_to_the_queue(desk):
    key = desk.add_waiting_lead(first_name="Hana")
    approve_into_the_window(desk.database_url, key)
    reviewer = desk.signed_in("rick")
    assert "Hana" not in reviewer.get("/review").body  # approved: not waiting for anyone
    page = reviewer.get(f"/review/lead/{key}")
    assert 'id="hold"' in page.body and "goes to Gmail at" in page.body

    answer = reviewer.post(f"/review/lead/{key}", [
        ("csrf", page.csrf()), ("action", "hold"), ("version", "1"), ("reason", "wrong person"),
    ])  # fmt: skip

    assert answer.status == 303
    assert "held: it will not be sent unless approved again" in reviewer.get("/review").body
    queue = reviewer.get("/review").body
    assert "Hana" in queue and "held by rick: wrong person" in queue
    with session_scope(desk.database_url) as session:
        latest = reviews.reviews_for(session, key)[-1]
        assert (latest.action, latest.reviewer, latest.reviewer_kind) == (
            "hold", "rick", "signed_in",
        )  # fmt: skip
        assert deferrals.get_deferral(session, key) is None
        assert reviews.authorization_for(session, key) is None
    assert 'id="hold"' not in reviewer.get(f"/review/lead/{key}").body  # nothing left to hold


def test_a_viewer_cannot_hold(desk):
    key = desk.add_waiting_lead()
    approve_into_the_window(desk.database_url, key)
    viewer = desk.signed_in("vera")
    page = viewer.get(f"/review/lead/{key}")
    assert 'id="hold"' not in page.body
    refused = viewer.post(f"/review/lead/{key}", [
        ("csrf", page.csrf()), ("action", "hold"), ("version", "1"), ("reason", "x"),
    ])  # fmt: skip
    assert refused.status == 403
    with session_scope(desk.database_url) as session:
        assert reviews.reviews_for(session, key)[-1].action == "approve"

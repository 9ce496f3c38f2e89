"""The app DB's figures read back from a known state, on SQLite and on the real Postgres."""

from __future__ import annotations

from datetime import timedelta

import pytest

from salesagent_dagster.services.metrics.figures import (
    MAILBOX_LABEL_LENGTH,
    SPEED_BUCKETS,
    read_app_figures,
)
from salesagent_dagster.store import reviews
from salesagent_dagster.store.database import session_scope
from salesagent_dagster_tests.metrics.seeding import MAILBOXES, seed_app_db


def fingerprint(address: str) -> str:
    return "f" + str(MAILBOXES.index(address)) * 63


def test_figures_count_the_funnel_the_queue_and_what_came_back(database_url: str):
    seeded = seed_app_db(database_url)
    with session_scope(database_url) as session:
        app = read_app_figures(session, fingerprint)
        queue = reviews.review_queue(session)

    assert app.submissions == {"accepted": 6, "rejected": 1}
    assert app.leads == {"rejected": 1, "disqualified": 1, "qualified": 5}
    assert app.decisions == {"auto_approve": 2, "needs_review": 2, "blocked": 1}
    assert app.review_rejections == 1
    assert app.auto_approval_ratio == pytest.approx(2 / 5)
    # The queue's COUNT/MIN agree with the review desk's own query (k3 waits, k4 was decided).
    assert app.review_queue_depth == len(queue) == 1
    assert app.review_queue_oldest == queue[0].decision.created_at
    assert abs(app.review_queue_oldest - (seeded.now - timedelta(minutes=90))) < timedelta(
        seconds=1
    )
    assert app.waiting_sends == {"held": 1, "deferred": 1}
    assert [(b.service, b.is_open, b.consecutive_failures) for b in app.breakers] == [
        ("gmail", True, 5), ("hubspot", False, 0),
    ]  # fmt: skip
    assert app.replies == {"positive": 1, "bounce_hard": 1}  # the unmatched mail is not ours
    assert app.suppressions == {"unsubscribed": 1, "bounced": 1}
    # The newest arrival is k7 (rejected, never dispatched); the newest dispatch is k6's.
    six_seconds_in = seeded.now - timedelta(hours=2) + timedelta(seconds=6)
    assert app.last_received == app.last_dispatched == six_seconds_in


def test_mailboxes_are_hashed_and_steps_told_apart(database_url: str):
    seed_app_db(database_url)
    with session_scope(database_url) as session:
        app = read_app_figures(session, fingerprint)
    emails = sorted((e.mailbox, e.step, e.state, e.count) for e in app.emails)
    first, second = (fingerprint(m)[:MAILBOX_LABEL_LENGTH] for m in MAILBOXES)
    assert emails == [
        (first, "first", "sent", 1), (first, "follow_up", "sent", 1),
        (second, "first", "drafted", 1),
    ]  # fmt: skip
    assert all("@" not in e.mailbox for e in app.emails)


def test_speed_to_lead_is_bucketed_by_the_database(database_url: str):
    seed_app_db(database_url)
    with session_scope(database_url) as session:
        speed = read_app_figures(session, fingerprint).speed_to_lead
    # First emails only: 8 s (sent) and 46 s (drafted); the follow-up is not speed to lead.
    expected = tuple(sum(1 for s in (8, 46) if s <= bound) for bound in SPEED_BUCKETS)
    assert speed.cumulative == expected
    assert speed.count == 2
    assert speed.total_seconds == pytest.approx(54, abs=0.01)
    assert speed.quantile_bound(0.5) == 10.0 and speed.quantile_bound(0.95) == 60.0

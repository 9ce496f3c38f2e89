"""The send ledger's claim on SQLite and on PostgreSQL: one row per lead, limits counted under
the mailbox lock so concurrent claims cannot both pass (DESIGN I-1, I-2)."""

from __future__ import annotations

import threading
from datetime import timedelta

from salesagent_dagster.domain.send_limits import SendLimits
from salesagent_dagster.store import inbox, send_ledger
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import SendLock
from salesagent_dagster.store.send_ledger import ClaimStatus, LedgerState

MAILBOX = "rep@seller.example"


def _submission(url: str, conversion_id: str) -> str:
    with session_scope(url) as session:
        row, _ = inbox.record_submission(
            session, form_id="f", conversion_id=conversion_id, payload={},
            submitted_at=None, reject_reason=None,
        )  # fmt: skip
        return row.partition_key


def _claim(url: str, key: str, recipient: str = "hash-a", limits: SendLimits | None = None):
    with session_scope(url) as session:
        return send_ledger.claim_send(
            session, partition_key=key, mailbox=MAILBOX, recipient_hash=recipient,
            message_id=f"<{key}@seller.example>", draft_version=1, mode="send",
            limits=limits or SendLimits(),
        )  # fmt: skip


def test_second_claim_for_a_lead_never_gets_a_fresh_row(database_url):
    key = _submission(database_url, "c1")
    assert _claim(database_url, key).status == ClaimStatus.CLAIMED
    assert _claim(database_url, key).status == ClaimStatus.NEEDS_RECONCILE
    with session_scope(database_url) as session:
        send_ledger.record_outcome(session, key, LedgerState.SENT, gmail_message_id="g1")
    assert _claim(database_url, key).status == ClaimStatus.ALREADY_DONE


def test_per_contact_limit_defers_the_third_email_in_the_window(database_url):
    unpaced = SendLimits(per_mailbox_per_minute=float("inf"))
    keys = [_submission(database_url, f"c{i}") for i in range(3)]
    assert _claim(database_url, keys[0], limits=unpaced).status == ClaimStatus.CLAIMED
    assert _claim(database_url, keys[1], limits=unpaced).status == ClaimStatus.CLAIMED
    deferred = _claim(database_url, keys[2], limits=unpaced)
    assert deferred.status == ClaimStatus.DEFERRED
    assert deferred.volume.to_contact_in_window == 2


def test_concurrent_claims_cannot_both_pass_the_mailbox_limit(database_url):
    limits = SendLimits(per_mailbox_per_day=5, per_mailbox_per_minute=float("inf"))
    keys = [_submission(database_url, f"c{i}") for i in range(12)]
    statuses: list[ClaimStatus] = []
    barrier = threading.Barrier(len(keys))

    def claim(index: int) -> None:
        barrier.wait()
        statuses.append(_claim(database_url, keys[index], f"hash-{index}", limits).status)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(keys))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(ClaimStatus.CLAIMED) == 5
    assert statuses.count(ClaimStatus.DEFERRED) == 7


def test_drafts_do_not_count_against_send_limits(database_url):
    limits = SendLimits(per_mailbox_per_day=1, per_mailbox_per_minute=float("inf"))
    first, second = _submission(database_url, "a"), _submission(database_url, "b")
    with session_scope(database_url) as session:
        claim = send_ledger.claim_send(
            session, partition_key=first, mailbox=MAILBOX, recipient_hash="x",
            message_id="<d@x>", draft_version=1, mode="draft", limits=limits,
        )  # fmt: skip
        assert claim.status == ClaimStatus.CLAIMED
    assert _claim(database_url, second, "y", limits).status == ClaimStatus.CLAIMED


def test_real_sends_from_one_mailbox_are_paced_under_the_quota(database_url):
    limits = SendLimits(per_mailbox_per_minute=30)  # one send every 2 s
    first, second = _submission(database_url, "p1"), _submission(database_url, "p2")
    assert _claim(database_url, first, "r1", limits).status == ClaimStatus.CLAIMED
    paced = _claim(database_url, second, "r2", limits)
    assert paced.status == ClaimStatus.PACED
    assert 0 < paced.wait_seconds <= 2.0
    with session_scope(database_url) as session:
        lock = session.get(SendLock, MAILBOX)
        lock.last_send_at -= timedelta(seconds=2)  # the slot has come
    assert _claim(database_url, second, "r2", limits).status == ClaimStatus.CLAIMED

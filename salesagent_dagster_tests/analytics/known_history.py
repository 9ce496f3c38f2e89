"""A small app DB history whose every mart figure is known: five leads, four sent to, in two
mailboxes and three voice profile versions, three experiment arms, a follow-up, and one reply
of each outcome the marts count. Written with the app's own models, so the export reads it
as it reads production rows.

  lead  submitted  bucket mailbox voice arms                        sends          came back
  L1    2 days     A      rep1    v2    subject_line:short, opener:question  0 after 5 s   positive
  L2    3 days     A      rep1    v2    subject_line:long           0 after 20 s   negative
  L3    60 days    B      rep1    v1    subject_line:short          0 after 40 s, 1 unsubscribe (to 1)
  L4    1 day      C      rep2    v0    (none)                      0 after 400 s  hard bounce
  L5    1 day      -      -       -     (not qualified)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from salesagent_dagster.domain.email_address import email_fingerprint
from salesagent_dagster.store.models import (
    Draft,
    Enrichment,
    InboundMessage,
    Lead,
    ReviewDecision,
    SendDecision,
    SendLedgerEntry,
    Submission,
)

SALT = "known-history-salt"
REP1, REP2 = "rep1@seller.example", "rep2@seller.example"


def write_known_history(session: Session, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    day = timedelta(days=1)
    leads = [
        ("L1", now - 2 * day, "A", REP1, 2, {"subject_line": "short", "opener": "question"}),
        ("L2", now - 3 * day, "A", REP1, 2, {"subject_line": "long"}),
        ("L3", now - 60 * day, "B", REP1, 1, {"subject_line": "short"}),
        ("L4", now - 1 * day, "C", REP2, 0, None),
    ]
    for key, at, *_ in leads:
        _lead(session, key, at, qualified=True)
    _lead(session, "L5", now - day, qualified=False)
    session.flush()  # each row after the one its foreign key names
    for key, at, bucket, mailbox, voice, variant in leads:
        session.add(
            Enrichment(
                partition_key=key, icp_score=0.5, icp_bucket=bucket, icp_factors={},
                mailbox=mailbox, created_at=at + timedelta(seconds=1),
            )
        )  # fmt: skip
        session.add(
            Draft(
                partition_key=key, version=1, subject="s", body_text="b", template="demo",
                voice_profile={}, variant=variant, voice_version=voice, author="agent",
                created_at=at + timedelta(seconds=2),
            )
        )  # fmt: skip
    for key in ("L1", "L2", "L3"):
        _rules(session, key, "auto_approve", leads)
    _rules(session, "L4", "needs_review", leads)
    l4_at = leads[3][1]
    session.add(
        ReviewDecision(
            partition_key="L4", action="approve", reviewer="riley", reason="ok",
            draft_version=1, created_at=l4_at + timedelta(seconds=200),
        )
    )  # fmt: skip
    at = {key: submitted for key, submitted, *_ in leads}
    _send(session, "L1", 0, REP1, at["L1"] + timedelta(seconds=5), "sent")
    _send(session, "L2", 0, REP1, at["L2"] + timedelta(seconds=20), "sent")
    _send(session, "L3", 0, REP1, at["L3"] + timedelta(seconds=40), "sent")
    _send(session, "L3", 1, REP1, at["L3"] + 3 * day, "sent")
    _send(session, "L4", 0, REP2, at["L4"] + timedelta(seconds=400), "drafted")
    _reply(session, "L1", "positive", at["L1"] + timedelta(hours=1), REP1, 1)
    _reply(session, "L2", "negative", at["L2"] + timedelta(hours=2), REP1, 2)
    _reply(session, "L3", "unsubscribe", at["L3"] + 4 * day, REP1, 3)
    _reply(session, "L4", "bounce_hard", at["L4"] + timedelta(hours=1), REP2, 4)


def _lead(session: Session, key: str, at: datetime, *, qualified: bool) -> None:
    address = f"{key.lower()}@customer.example"
    session.add(
        Submission(
            partition_key=key, form_id="demo", conversion_id=f"c-{key}",
            submitted_at=at, received_at=at, payload={"email": address},
            email_hash=email_fingerprint(address, SALT), status="accepted",
        )
    )  # fmt: skip
    session.flush()
    session.add(
        Lead(
            partition_key=key, email=address, email_hash=email_fingerprint(address, SALT),
            qualified=qualified, status_reason="qualified" if qualified else "not business",
            created_at=at + timedelta(milliseconds=500),
        )
    )  # fmt: skip


def _rules(session: Session, key: str, outcome: str, leads: list) -> None:
    at = next(submitted for k, submitted, *_ in leads if k == key)
    session.add(
        SendDecision(
            partition_key=key, draft_version=1, outcome=outcome, confidence=0.9, threshold=0.8,
            rules_fired=[] if outcome == "auto_approve" else [{"rule": "new_domain"}],
            rationale="", created_at=at + timedelta(seconds=3),
        )
    )  # fmt: skip


def _send(session: Session, key: str, step: int, mailbox: str, at: datetime, state: str) -> None:
    session.add(
        SendLedgerEntry(
            partition_key=key, step=step, message_id=f"<{key}.{step}@seller.example>",
            mailbox=mailbox, recipient_hash="h", draft_version=1,
            mode="draft" if state == "drafted" else "send", state=state, attempts=1,
            claimed_at=at - timedelta(seconds=1), updated_at=at,
        )
    )  # fmt: skip


def _reply(
    session: Session, key: str, kind: str, at: datetime, mailbox: str, n: int
) -> None:  # fmt: skip
    session.add(
        InboundMessage(
            mailbox=mailbox, gmail_message_id=f"in{n}", partition_key=key, kind=kind,
            reason=f"{kind}_rule", received_at=at, recorded_at=at + timedelta(seconds=20),
        )
    )  # fmt: skip

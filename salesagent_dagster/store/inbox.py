"""The submissions inbox and the per-form read position."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import IntakeWatermark, Lead, Submission, utc_now


def new_partition_key() -> str:
    """Opaque, random, and carries nothing about the person (DESIGN I-6)."""
    return "sub_" + secrets.token_hex(10)


def find_submission(session: Session, form_id: str, conversion_id: str) -> Submission | None:
    return session.scalar(
        select(Submission).where(
            Submission.form_id == form_id, Submission.conversion_id == conversion_id
        )
    )


def record_submission(
    session: Session,
    *,
    form_id: str,
    conversion_id: str,
    payload: dict[str, Any],
    submitted_at: Any,
    reject_reason: str | None,
    email_hash: str | None = None,
) -> tuple[Submission, bool]:
    """Store a submission once; returns (row, created). A second sighting is a no-op, also
    when the other intake path (poller or webhook) inserts the same one at the same moment:
    the insert runs in a savepoint, and losing the unique (form, conversionId) race returns
    the winner's row."""
    existing = find_submission(session, form_id, conversion_id)
    if existing is not None:
        return existing, False
    row = Submission(
        partition_key=new_partition_key(),
        form_id=form_id,
        conversion_id=conversion_id,
        submitted_at=submitted_at,
        payload=payload,
        email_hash=email_hash,
        status="rejected" if reject_reason else "accepted",
        reject_reason=reject_reason,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = find_submission(session, form_id, conversion_id)
        if winner is None:  # another constraint than the race: not ours to hide
            raise
        return winner, False
    return row, True


def undispatched(session: Session, limit: int) -> Sequence[Submission]:
    """Accepted submissions Dagster holds no run for yet, oldest first."""
    return session.scalars(
        select(Submission)
        .where(Submission.status == "accepted", Submission.dispatched_at.is_(None))
        .order_by(Submission.id)
        .limit(limit)
    ).all()


def mark_dispatched(session: Session, partition_keys: Sequence[str]) -> None:
    if partition_keys:
        session.execute(
            update(Submission)
            .where(Submission.partition_key.in_(partition_keys))
            .values(dispatched_at=utc_now())
        )


def claim_dispatch(session: Session, partition_keys: Sequence[str]) -> list[str]:
    """Mark these undispatched submissions dispatched, atomically, and return the ones this
    call marked: whoever claims a submission (the webhook's run starter) starts its run, and
    the sensor, which only takes undispatched ones, does not start a second."""
    claimed = []
    for key in partition_keys:
        result = session.execute(
            update(Submission)
            .where(Submission.partition_key == key, Submission.dispatched_at.is_(None))
            .values(dispatched_at=utc_now())
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(key)
    return claimed


def release_dispatch(session: Session, partition_keys: Sequence[str]) -> None:
    """Give claimed submissions back to the sensor: their run could not be started."""
    if partition_keys:
        session.execute(
            update(Submission)
            .where(Submission.partition_key.in_(partition_keys))
            .values(dispatched_at=None)
        )


def unstarted_dispatches(
    session: Session, claimed_before: datetime, claimed_after: datetime, limit: int
) -> list[str]:
    """Accepted submissions dispatched in that window whose lead never appeared: a claim
    whose run may never have been started (its starter died between claim and launch)."""
    return list(
        session.scalars(
            select(Submission.partition_key)
            .outerjoin(Lead, Lead.partition_key == Submission.partition_key)
            .where(
                Submission.status == "accepted",
                Submission.dispatched_at < claimed_before,
                Submission.dispatched_at >= claimed_after,
                Lead.partition_key.is_(None),
            )
            .order_by(Submission.id)
            .limit(limit)
        )
    )


def get_submission(session: Session, partition_key: str) -> Submission | None:
    return session.scalar(select(Submission).where(Submission.partition_key == partition_key))


def watermark(session: Session, form_id: str) -> int | None:
    row = session.get(IntakeWatermark, form_id)
    return row.newest_submitted_at_ms if row else None


def advance_watermark(session: Session, form_id: str, newest_submitted_at_ms: int) -> None:
    row = session.get(IntakeWatermark, form_id)
    if row is None:
        session.add(IntakeWatermark(form_id=form_id, newest_submitted_at_ms=newest_submitted_at_ms))
    elif newest_submitted_at_ms > row.newest_submitted_at_ms:
        row.newest_submitted_at_ms = newest_submitted_at_ms

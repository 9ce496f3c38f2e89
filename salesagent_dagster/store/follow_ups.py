"""The follow-up schedule: one row per lead and step, from scheduled to done.

A step is scheduled in the transaction that records the email before it as sent or drafted
(`record_delivery`), so no delivered email misses its next step and none gets two. The
sensor reads open, due rows through one index (state, due_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from salesagent_dagster.domain.follow_up_plan import FollowUpPlan
from salesagent_dagster.store.models import FollowUpStepRow, utc_now


class StepState(StrEnum):
    PENDING = "pending"  # waiting for due_at (again, after a hold or a full send window)
    RELEASED = "released"  # the sensor requested its run
    SENT = "sent"
    DRAFTED = "drafted"
    SKIPPED = "skipped"  # a gate refused it (reason); the sequence ends there
    CANCELLED = "cancelled"  # a reply, opt-out, bounce, rejection or erasure (reason)


OPEN_STATES = (StepState.PENDING, StepState.RELEASED)
FINAL_STATES = frozenset(
    {StepState.SENT, StepState.DRAFTED, StepState.SKIPPED, StepState.CANCELLED}
)
# A released step whose run never appeared (the daemon stopped between our commit and its
# run creation) is requested again, with the same run key, for this long; a run that failed
# after that is a dead letter, re-run from the UI or CLI.
RELEASE_GRACE = timedelta(minutes=10)


def get_step(session: Session, partition_key: str, step: int) -> FollowUpStepRow | None:
    return session.scalar(
        select(FollowUpStepRow).where(
            FollowUpStepRow.partition_key == partition_key, FollowUpStepRow.step == step
        )
    )


def steps_of(session: Session, partition_key: str) -> Sequence[FollowUpStepRow]:
    return session.scalars(
        select(FollowUpStepRow)
        .where(FollowUpStepRow.partition_key == partition_key)
        .order_by(FollowUpStepRow.step)
    ).all()


def record_delivery(
    session: Session,
    partition_key: str,
    step: int,
    state: str,
    plan: FollowUpPlan,
    delivered_at: datetime | None = None,
) -> FollowUpStepRow | None:
    """Email `step` of the lead is sent or drafted: close its row (a follow-up) and schedule
    the step after it, if the plan has one. Returns the newly scheduled row."""
    when = delivered_at or utc_now()
    if step > 0:
        finish(session, partition_key, step, StepState(state))
    due = plan.due_at(step + 1, when)
    if due is None or get_step(session, partition_key, step + 1) is not None:
        return None
    row = FollowUpStepRow(
        partition_key=partition_key,
        step=step + 1,
        state=StepState.PENDING,
        due_at=due,
        reason="",
        releases=0,
    )
    session.add(row)
    session.flush()
    return row


def release_due(session: Session, limit: int, now: datetime | None = None) -> list[FollowUpStepRow]:
    """Mark due pending steps released (one more release each) and return them with the
    released steps still inside their grace period, oldest due first."""
    now = now or utc_now()
    due = session.scalars(
        select(FollowUpStepRow)
        .where(FollowUpStepRow.state == StepState.PENDING, FollowUpStepRow.due_at <= now)
        .order_by(FollowUpStepRow.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in due:
        row.state = StepState.RELEASED
        row.releases += 1
        row.updated_at = now
    recent = session.scalars(
        select(FollowUpStepRow)
        .where(
            FollowUpStepRow.state == StepState.RELEASED,
            FollowUpStepRow.updated_at >= now - RELEASE_GRACE,
            FollowUpStepRow.id.not_in([row.id for row in due]),
        )
        .order_by(FollowUpStepRow.due_at)
        .limit(limit)
    ).all()
    session.flush()
    return [*due, *recent]


def finish(
    session: Session, partition_key: str, step: int, state: StepState, reason: str = ""
) -> FollowUpStepRow | None:
    """Close an open step (a closed one stays as it was: the first outcome stands)."""
    row = get_step(session, partition_key, step)
    if row is None or row.state in FINAL_STATES:
        return row
    row.state, row.reason = state, reason
    session.flush()
    return row


def park(
    session: Session, partition_key: str, step: int, due_at: datetime, reason: str
) -> FollowUpStepRow | None:
    """Back to pending until `due_at` (held, deferred, or waiting for a return date)."""
    row = get_step(session, partition_key, step)
    if row is None or row.state in FINAL_STATES:
        return row
    row.state, row.due_at, row.reason = StepState.PENDING, due_at, reason
    session.flush()
    return row


def cancel_open(session: Session, partition_key: str, reason: str) -> int:
    """Cancel every open step of the lead; returns how many."""
    result = session.execute(
        update(FollowUpStepRow)
        .where(
            FollowUpStepRow.partition_key == partition_key,
            FollowUpStepRow.state.in_(OPEN_STATES),
        )
        .values(state=StepState.CANCELLED, reason=reason, updated_at=utc_now())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)

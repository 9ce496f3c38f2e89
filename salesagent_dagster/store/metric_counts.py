"""Read-only aggregates of the app DB for `/metrics` and `salesagent status`.

Every query is one GROUP BY, COUNT, MIN or MAX, so a scrape costs a few index scans, not a
row per lead in Python. Mailboxes come out as addresses: the caller hashes them before they
become a label (no PII in metrics). Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Float, case, cast, exists, func, literal, select
from sqlalchemy.orm import QueryableAttribute, Session

from salesagent_dagster.domain.approval_rules import Outcome
from salesagent_dagster.store import reviews
from salesagent_dagster.store.deferrals import HELD_BY_KILL_SWITCH
from salesagent_dagster.store.models import (
    CircuitBreakerRow,
    InboundMessage,
    Lead,
    ReviewDecision,
    SendDecision,
    SendDeferral,
    SendLedgerEntry,
    Submission,
    Suppression,
)
from salesagent_dagster.store.send_ledger import LedgerState

# A range of primary-key ids: (after, up to], `up to` None for no upper end; None for all.
IdRange = tuple[int, int | None] | None


def submissions_by_status(session: Session) -> dict[str, int]:
    """accepted | rejected: the inbox's `status` index."""
    rows = session.execute(select(Submission.status, func.count()).group_by(Submission.status))
    return {status: count for status, count in rows}


def leads_by_qualification(session: Session) -> dict[bool, int]:
    rows = session.execute(select(Lead.qualified, func.count()).group_by(Lead.qualified))
    return {bool(qualified): count for qualified, count in rows}


def decisions_by_outcome(session: Session, ids: IdRange = None) -> dict[str, int]:
    """Send decisions the rules engine made, by outcome (an edited draft is decided again).
    Rows are never changed, so a reader may count a range of ids once (`ids` as in
    `ledger_by_mailbox`, over send_decisions' primary key)."""
    rows = session.execute(
        select(SendDecision.outcome, func.count())
        .where(*_in_range(SendDecision.id, ids))
        .group_by(SendDecision.outcome)
    )
    return {outcome: count for outcome, count in rows}


def max_decision_id(session: Session) -> int | None:
    return session.scalar(select(func.max(SendDecision.id)))


def operator_rejections(session: Session) -> int:
    return (
        session.scalar(
            select(func.count(func.distinct(ReviewDecision.partition_key))).where(
                ReviewDecision.action == "reject"
            )
        )
        or 0
    )


def ledger_by_mailbox(session: Session, ids: IdRange = None) -> list[tuple[str, int, str, int]]:
    """(mailbox, step, state, count) over the send ledger: sends, drafts and the unclear;
    `ids` (after, up to] limits it to a range of the primary key."""
    rows = session.execute(
        select(SendLedgerEntry.mailbox, SendLedgerEntry.step, SendLedgerEntry.state, func.count())
        .where(*_in_range(SendLedgerEntry.id, ids))
        .group_by(SendLedgerEntry.mailbox, SendLedgerEntry.step, SendLedgerEntry.state)
    )
    return [(mailbox, step, state, count) for mailbox, step, state, count in rows]


def ledger_watermarks(session: Session) -> tuple[int | None, int | None]:
    """(lowest id still sending or unknown, highest id): rows below the first are final, so
    a reader may count them once and keep the sums (services.metrics.ledger_totals). Both
    read the ledger's indexes (state, primary key), not its rows."""
    open_id = session.scalar(
        select(func.min(SendLedgerEntry.id)).where(
            SendLedgerEntry.state.in_((LedgerState.SENDING, LedgerState.UNKNOWN))
        )
    )
    return open_id, session.scalar(select(func.max(SendLedgerEntry.id)))


def _in_range(column: QueryableAttribute[int], ids: IdRange) -> list[ColumnElement[bool]]:
    if ids is None:
        return []
    after, up_to = ids
    conditions = [column > after]
    if up_to is not None:
        conditions.append(column <= up_to)
    return conditions


@dataclass(frozen=True)
class QueueDepth:
    count: int
    oldest: datetime | None  # when its longest-waiting lead began to wait
    lowest_decision_id: int | None  # the lowest id of a queued never-reviewed lead's decision
    lowest_review_id: int | None  # the lowest id of a hold that returned a queued lead


def review_queue_depth(session: Session, from_id: int = 0, from_review_id: int = 0) -> QueueDepth:
    """How many leads wait for a person and since when, with the lowest ids of each kind.

    The same predicates as `store.reviews.review_queue` (a test holds them equal), as two
    COUNTs and MINs rather than a row per queued lead. `from_id`: decisions below it are known
    to be out of the never-reviewed part for good (reviewed, sent or superseded: a lead with a
    review row never rejoins it, and a new decision gets a new id). `from_review_id`: review
    rows below it are known not to be a lead's latest hold any more (a later review row
    superseded it; rows are only added). So each read covers the queue's own span, not history.
    """
    fresh_count, fresh_oldest, fresh_lowest = session.execute(
        select(func.count(), func.min(SendDecision.created_at), func.min(SendDecision.id)).where(
            SendDecision.id >= from_id,
            SendDecision.outcome == Outcome.NEEDS_REVIEW.value,
            reviews.latest_decision(SendDecision),
            ~exists().where(ReviewDecision.partition_key == SendDecision.partition_key),
            reviews.nothing_sent(SendDecision.partition_key),
        )
    ).one()
    held_count, held_oldest, held_lowest = session.execute(
        select(
            func.count(), func.min(ReviewDecision.created_at), func.min(ReviewDecision.id)
        ).where(
            ReviewDecision.id >= from_review_id,
            reviews.returned_to_review(ReviewDecision),
            exists().where(SendDecision.partition_key == ReviewDecision.partition_key),
            reviews.nothing_sent(ReviewDecision.partition_key),
        )
    ).one()
    times = [t for t in (_utc(fresh_oldest), _utc(held_oldest)) if t is not None]
    return QueueDepth(
        (fresh_count or 0) + (held_count or 0),
        min(times) if times else None,
        fresh_lowest,
        held_lowest,
    )


def max_review_id(session: Session) -> int | None:
    return session.scalar(select(func.max(ReviewDecision.id)))


def deferred_sends(session: Session) -> dict[str, int]:
    """held (parked by the kill switch) | deferred (a send limit's window)."""
    kind = case(
        (SendDeferral.reason.startswith(HELD_BY_KILL_SWITCH + ":"), literal("held")),
        else_=literal("deferred"),
    )
    rows = session.execute(select(kind, func.count()).group_by(kind))
    return {k: count for k, count in rows}


def breakers(session: Session) -> Sequence[CircuitBreakerRow]:
    return session.scalars(select(CircuitBreakerRow).order_by(CircuitBreakerRow.service)).all()


def inbound_by_kind(session: Session) -> dict[str, int]:
    """Replies, auto-replies, bounces and unsubscribes matched to a lead of ours."""
    rows = session.execute(
        select(InboundMessage.kind, func.count())
        .where(InboundMessage.partition_key.is_not(None))
        .group_by(InboundMessage.kind)
    )
    return {kind: count for kind, count in rows}


def suppressions_by_reason(session: Session) -> dict[str, int]:
    rows = session.execute(select(Suppression.reason, func.count()).group_by(Suppression.reason))
    return {reason: count for reason, count in rows}


def last_submission_times(session: Session) -> tuple[datetime | None, datetime | None]:
    """(newest received, newest dispatched to a run): the latter on its own index; the
    former is the newest id's row, as ids grow with arrival."""
    newest_id = select(func.max(Submission.id)).scalar_subquery()
    received = session.scalar(select(Submission.received_at).where(Submission.id == newest_id))
    dispatched = session.scalar(select(func.max(Submission.dispatched_at)))
    return _utc(received), _utc(dispatched)


def speed_to_lead_buckets(
    session: Session, bounds: Sequence[float], ids: IdRange = None
) -> tuple[list[int], int, float]:
    """Seconds from a submission's arrival to its first email's ledger row reaching sent or
    drafted, as cumulative counts at each bound (Prometheus' `le`), the total and the sum.

    One pass over the delivered first emails joined to the inbox on its primary key; the
    time difference is computed by the database, so no row reaches Python. `ids` as in
    `ledger_by_mailbox`."""
    seconds = _seconds_between(session, Submission.received_at, SendLedgerEntry.updated_at)
    columns = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in bounds]
    row = session.execute(
        select(*columns, func.count(), func.coalesce(func.sum(seconds), 0.0))
        .select_from(SendLedgerEntry)
        .join(Submission, Submission.partition_key == SendLedgerEntry.partition_key)
        .where(
            SendLedgerEntry.step == 0,
            SendLedgerEntry.state.in_((LedgerState.SENT, LedgerState.DRAFTED)),
            *_in_range(SendLedgerEntry.id, ids),
        )
    ).one()
    *cumulative, total, total_seconds = row
    return [int(c or 0) for c in cumulative], int(total or 0), float(total_seconds or 0.0)


def _seconds_between(
    session: Session, start: QueryableAttribute[datetime], end: QueryableAttribute[datetime]
) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    # SQLite keeps ISO text; julianday reads it (fractional days).
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _utc(value: datetime | None) -> datetime | None:
    """Aggregates bypass the column type's UTC re-attachment on SQLite (naive text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

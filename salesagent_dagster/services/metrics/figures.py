"""One snapshot of how the product is doing, read with aggregate queries only.

The same snapshot feeds `/metrics` (services.metrics.collector) and `salesagent status`, so
the terminal and the dashboard never disagree. Mailboxes are reduced to a short salted hash
here, before anything leaves: an address never becomes a label (no PII in metrics).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from salesagent_dagster.domain.approval_rules import Outcome
from salesagent_dagster.domain.circuit_breaker import BreakerPosition
from salesagent_dagster.services.metrics.decision_totals import DecisionTotals
from salesagent_dagster.services.metrics.ledger_totals import LedgerTotals
from salesagent_dagster.store import metric_counts

# Speed-to-lead buckets (seconds): the product's target is 10 s at p95 (DESIGN section 5);
# the long tail is leads that waited for a person.
SPEED_BUCKETS: tuple[float, ...] = (
    5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0,
)  # fmt: skip
MAILBOX_LABEL_LENGTH = 12  # hex digits of the salted hash: unique enough for a few reps


@dataclass(frozen=True)
class EmailCount:
    mailbox: str  # a salted hash prefix, never the address
    step: str  # first | follow_up
    state: str  # a LedgerState
    count: int


@dataclass(frozen=True)
class Breaker:
    service: str
    position: str
    consecutive_failures: int
    opened_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.position != BreakerPosition.CLOSED


@dataclass(frozen=True)
class SpeedHistogram:
    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]  # leads at or under each bound
    count: int
    total_seconds: float

    def quantile_bound(self, q: float) -> float | None:
        """The smallest bucket bound holding at least `q` of the leads (None: beyond all)."""
        for bound, seen in zip(self.bounds, self.cumulative, strict=True):
            if self.count and seen >= q * self.count:
                return bound
        return None


@dataclass(frozen=True)
class AppFigures:
    """What the app DB says."""

    submissions: dict[str, int]
    leads: dict[str, int]  # rejected (in the inbox) | disqualified | qualified
    decisions: dict[str, int]  # the rules engine's: auto_approve | needs_review | blocked
    review_rejections: int
    emails: list[EmailCount]
    speed_to_lead: SpeedHistogram
    review_queue_depth: int
    review_queue_oldest: datetime | None
    waiting_sends: dict[str, int]  # held | deferred
    breakers: list[Breaker]
    replies: dict[str, int]  # a ReplyKind (or unreadable, ignored)
    suppressions: dict[str, int]  # unsubscribed | bounced | erased | manual
    last_received: datetime | None
    last_dispatched: datetime | None

    @property
    def auto_approval_ratio(self) -> float | None:
        """Auto-approved share of the rules engine's decisions (None before any)."""
        decided = sum(self.decisions.values())
        return self.decisions.get(Outcome.AUTO_APPROVE.value, 0) / decided if decided else None


@dataclass(frozen=True)
class Instigator:
    name: str
    kind: str  # sensor | schedule
    running: bool
    last_tick: datetime | None
    interval_seconds: float  # how often it should tick: a tick older than twice this is late


@dataclass(frozen=True)
class InstanceFigures:
    """What the Dagster instance says."""

    dead_letters: int
    instigators: list[Instigator] = field(default_factory=list)


@dataclass(frozen=True)
class Figures:
    at: datetime
    review_sla_seconds: float
    app: AppFigures | None  # None: the app DB did not answer
    instance: InstanceFigures | None  # None: no instance configured, or it did not answer
    read_seconds: float = 0.0  # what reading this snapshot cost


@dataclass(frozen=True)
class RunningSums:
    """What a process keeps between reads so that each ledger and decision row is counted
    once (services.metrics.ledger_totals, decision_totals); a fresh one counts everything."""

    ledger: LedgerTotals = field(default_factory=lambda: LedgerTotals(SPEED_BUCKETS))
    decisions: DecisionTotals = field(default_factory=DecisionTotals)


def read_app_figures(
    session: Session, fingerprint: Callable[[str], str], sums: RunningSums | None = None
) -> AppFigures:
    """Every app DB figure, one aggregate query each (store.metric_counts), the ledger's and
    the decisions' through `sums` when the caller keeps them across reads."""
    sums = sums or RunningSums()
    qualification = metric_counts.leads_by_qualification(session)
    submissions = metric_counts.submissions_by_status(session)
    leads = {
        "rejected": submissions.get("rejected", 0),
        "disqualified": qualification.get(False, 0),
        "qualified": qualification.get(True, 0),
    }
    decided = sums.decisions.read(session)
    sends = sums.ledger.read(session)
    received, dispatched = metric_counts.last_submission_times(session)
    return AppFigures(
        submissions=submissions,
        leads=leads,
        decisions={**{o.value: 0 for o in Outcome}, **decided.by_outcome},
        review_rejections=metric_counts.operator_rejections(session),
        emails=[
            EmailCount(
                fingerprint(mailbox)[:MAILBOX_LABEL_LENGTH],
                "first" if step == 0 else "follow_up",
                state,
                n,
            )
            for (mailbox, step, state), n in sorted(sends.by_mailbox.items())
        ],
        speed_to_lead=SpeedHistogram(
            SPEED_BUCKETS, sends.cumulative, sends.count, sends.total_seconds
        ),
        review_queue_depth=decided.queue_depth,
        review_queue_oldest=decided.queue_oldest,
        waiting_sends={"held": 0, "deferred": 0, **metric_counts.deferred_sends(session)},
        breakers=[
            Breaker(row.service, row.position, row.consecutive_failures, row.opened_at)
            for row in metric_counts.breakers(session)
        ],
        replies=metric_counts.inbound_by_kind(session),
        suppressions=metric_counts.suppressions_by_reason(session),
        last_received=received,
        last_dispatched=dispatched,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)

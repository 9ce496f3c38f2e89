"""Send-decision figures (decisions by outcome, the review queue) read without a pass over
every decision per scrape.

Decision rows are never changed: each is added to running sums once, up to the highest id
the *previous* read saw (an insert can commit after a higher id's; by the next read it has),
and the rows above are counted fresh. The review queue is read from its oldest member's id
on: a decision below it has left the queue for good (reviewed, sent or superseded; a new
decision for the lead gets a new id), so the read covers the queue's own span, not history.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from salesagent_dagster.store import metric_counts


@dataclass(frozen=True)
class DecisionFigures:
    by_outcome: dict[str, int]
    queue_depth: int
    queue_oldest: datetime | None


class DecisionTotals:
    """Running sums and the queue's lower bound, shared by one process's reads."""

    def __init__(self) -> None:
        self._folded: Counter[str] = Counter()
        self._folded_up_to = 0
        self._queue_from = 0
        self._previous_max: int | None = None
        self._lock = threading.Lock()

    def read(self, session: Session) -> DecisionFigures:
        with self._lock:
            max_id = metric_counts.max_decision_id(session)
            if self._previous_max is not None and self._previous_max > self._folded_up_to:
                ids = (self._folded_up_to, self._previous_max)
                self._folded.update(metric_counts.decisions_by_outcome(session, ids))
                self._folded_up_to = self._previous_max
            outcomes = self._folded + Counter(
                metric_counts.decisions_by_outcome(session, (self._folded_up_to, None))
            )
            depth, oldest, lowest = metric_counts.review_queue_depth(session, self._queue_from)
            # Next time start at the oldest queued decision, and never above the ids the
            # previous read saw (this read's may still have an uncommitted gap below them).
            seen = self._previous_max if self._previous_max is not None else 0
            line = seen + 1 if lowest is None else min(lowest, seen + 1)
            self._queue_from = max(self._queue_from, line)
            self._previous_max = max_id
            return DecisionFigures(dict(outcomes), depth, oldest)

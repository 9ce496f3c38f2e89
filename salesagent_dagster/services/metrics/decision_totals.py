"""Send-decision figures (decisions by outcome, the review queue) read without a pass over
every decision per scrape.

Decision rows are never changed: each is added to running sums once, up to the highest id
the *previous* read saw (an insert can commit after a higher id's; by the next read it has),
and the rows above are counted fresh. The review queue is read from its oldest members' ids
on, one line per kind of member: a never-reviewed lead's decision below the first has left
the queue for good (reviewed, sent or superseded; a new decision for the lead gets a new id),
and a hold below the second is no lead's latest review any more (a held lead that was approved
or rejected again; a new hold gets a new id). So the read covers the queue's own span, not
history, and a held lead still counts however old its decision is.
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
        self._held_from = 0
        self._previous_max: int | None = None
        self._previous_max_review: int | None = None
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
            max_review = metric_counts.max_review_id(session)
            queue = metric_counts.review_queue_depth(session, self._queue_from, self._held_from)
            self._queue_from = _next_line(
                self._queue_from, queue.lowest_decision_id, self._previous_max
            )
            self._held_from = _next_line(
                self._held_from, queue.lowest_review_id, self._previous_max_review
            )
            self._previous_max, self._previous_max_review = max_id, max_review
            return DecisionFigures(dict(outcomes), queue.count, queue.oldest)


def _next_line(line: int, lowest_queued: int | None, previous_max: int | None) -> int:
    """Where the next read starts: at the oldest queued row, and never above the ids the
    previous read saw (this read's may still have an uncommitted gap below them)."""
    seen = previous_max if previous_max is not None else 0
    candidate = seen + 1 if lowest_queued is None else min(lowest_queued, seen + 1)
    return max(line, candidate)

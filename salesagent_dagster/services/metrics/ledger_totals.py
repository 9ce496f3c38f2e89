"""Send-ledger figures (emails per mailbox, speed to lead) counted once per row, not per scrape.

A ledger row in `sent`, `drafted` or `failed_permanent` never changes again, so its share of
the figures can be added to running sums once and kept. Each read folds in the final rows
above the last fold, up to the lowest row still `sending`/`unknown` (and no further than the
highest id the *previous* read saw: a claim's insert can commit after a higher id's, and by
the next read, seconds later, it has); the rows above that line, a short tail, are counted
fresh every time. A read then costs two index lookups and two range scans of the rows that
arrived since the last one, instead of a pass over the whole ledger.

Rows deleted by retention stay in the sums, as a Prometheus counter should; a restart
counts the ledger once from the beginning.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from salesagent_dagster.store import metric_counts

LedgerKey = tuple[str, int, str]  # mailbox, step, state


@dataclass
class _Sums:
    by_mailbox: Counter[LedgerKey]
    cumulative: list[int]
    count: int = 0
    total_seconds: float = 0.0

    def add(
        self,
        rows: Sequence[tuple[str, int, str, int]],
        speed: tuple[list[int], int, float],
    ) -> None:
        for mailbox, step, state, n in rows:
            self.by_mailbox[(mailbox, step, state)] += n
        cumulative, count, total = speed
        self.cumulative = [a + b for a, b in zip(self.cumulative, cumulative, strict=True)]
        self.count += count
        self.total_seconds += total


@dataclass(frozen=True)
class LedgerFigures:
    by_mailbox: dict[LedgerKey, int]
    cumulative: tuple[int, ...]
    count: int
    total_seconds: float


class LedgerTotals:
    """Running sums over the final rows of the send ledger, shared by one process's reads."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self._bounds = tuple(bounds)
        self._folded = _Sums(Counter(), [0] * len(self._bounds))
        self._folded_up_to = 0  # every row with an id at or below this is in `_folded`
        self._previous_max: int | None = None
        self._lock = threading.Lock()

    def read(self, session: Session) -> LedgerFigures:
        with self._lock:
            open_id, max_id = metric_counts.ledger_watermarks(session)
            line = self._fold_line(open_id)
            if line > self._folded_up_to:
                ids = (self._folded_up_to, line)
                self._folded.add(
                    metric_counts.ledger_by_mailbox(session, ids),
                    metric_counts.speed_to_lead_buckets(session, self._bounds, ids),
                )
                self._folded_up_to = line
            self._previous_max = max_id
            tail = _Sums(Counter(self._folded.by_mailbox), list(self._folded.cumulative),
                         self._folded.count, self._folded.total_seconds)  # fmt: skip
            ids_after = (self._folded_up_to, None)
            tail.add(
                metric_counts.ledger_by_mailbox(session, ids_after),
                metric_counts.speed_to_lead_buckets(session, self._bounds, ids_after),
            )
            return LedgerFigures(
                dict(tail.by_mailbox), tuple(tail.cumulative), tail.count, tail.total_seconds
            )

    def _fold_line(self, open_id: int | None) -> int:
        """The highest id that may be folded now (never below what is folded)."""
        if self._previous_max is None:
            return self._folded_up_to  # first read: fold nothing until a second one confirms
        line = self._previous_max if open_id is None else min(open_id - 1, self._previous_max)
        return max(line, self._folded_up_to)

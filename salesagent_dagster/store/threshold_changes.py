"""The threshold learner's records: every weekly proposal (shadowed or applied, with its
figures) in the app DB, and the one warehouse query it learns from.

The newest applied row is the learned auto-approve threshold; `rule_settings()` reads it on
every decision, so `latest_applied_threshold` is one indexed query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import ThresholdChange, utc_now
from salesagent_dagster.store.warehouse import Warehouse, marts_schema_of

# The marts the learner reads (dbt_outreach/models/marts): one row per delivered email, and
# the lead's approval path.
LEARNER_MARTS = ("send_outcomes", "lead_outcomes")


def latest_applied_threshold(session: Session) -> float | None:
    """The learned threshold (the newest applied change), None before the first."""
    return session.scalar(
        select(ThresholdChange.proposed_threshold)
        .where(ThresholdChange.applied.is_(True))
        .order_by(ThresholdChange.proposed_at.desc(), ThresholdChange.id.desc())
        .limit(1)
    )


def latest_applied(session: Session) -> ThresholdChange | None:
    return session.scalar(
        select(ThresholdChange)
        .where(ThresholdChange.applied.is_(True))
        .order_by(ThresholdChange.proposed_at.desc(), ThresholdChange.id.desc())
        .limit(1)
    )


def add_change(
    session: Session,
    *,
    mode: str,
    previous_threshold: float,
    proposed_threshold: float,
    applied: bool,
    reason: str,
    figures: dict[str, Any],
    actor: str,
    proposed_at: datetime | None = None,
) -> ThresholdChange:
    """One week's proposal; `mode` is 'shadow' (recorded only) or 'live'."""
    if mode not in ("shadow", "live"):
        raise ValueError(f"mode must be 'shadow' or 'live', got {mode!r}")
    row = ThresholdChange(
        proposed_at=proposed_at or utc_now(),
        mode=mode,
        previous_threshold=previous_threshold,
        proposed_threshold=proposed_threshold,
        applied=applied,
        reason=reason,
        figures=figures,
        actor=actor,
    )
    session.add(row)
    session.flush()
    return row


def history(session: Session, limit: int = 20) -> list[ThresholdChange]:
    """The newest proposals first."""
    return list(
        session.scalars(
            select(ThresholdChange)
            .order_by(ThresholdChange.proposed_at.desc(), ThresholdChange.id.desc())
            .limit(limit)
        )
    )


def auto_approved_outcomes(
    warehouse: Warehouse, since: datetime, until: datetime
) -> tuple[int, int, int, int, int, int]:
    """What came back from auto-approved emails claimed in [since, until) (UTC, naive, as
    the warehouse keeps time): (sends, replies, positive, negative, unsubscribes, bounces).

    Only real sends (ledger mode 'send'): a Gmail draft made while real sends are off
    reaches nobody, so counting it would read as a reply rate of zero. Every step counts, as
    in the reply_rates mart, so an unsubscribe after a follow-up is charged to the lead's
    auto-approval too."""
    marts = marts_schema_of(warehouse)
    rows = warehouse.execute(
        "SELECT count(*), coalesce(sum(s.replied), 0), coalesce(sum(s.positive), 0), "
        "coalesce(sum(s.negative), 0), coalesce(sum(s.unsubscribed), 0), "
        "coalesce(sum(s.bounced), 0) "
        f"FROM {marts}.send_outcomes AS s "
        f"INNER JOIN {marts}.lead_outcomes AS l ON l.lead_key = s.lead_key "
        "WHERE l.approval_path = 'auto' AND s.mode = 'send' "
        "AND s.claimed_at >= %s AND s.claimed_at < %s",
        [since, until],
    )
    sends, replies, positive, negative, unsubscribes, bounces = (int(v) for v in rows[0])
    return sends, replies, positive, negative, unsubscribes, bounces

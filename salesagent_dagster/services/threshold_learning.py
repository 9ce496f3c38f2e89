"""The weekly threshold learner: read last week's outcomes of auto-approved sends from the
warehouse, propose one bounded step (domain/threshold_learner.py), record it with its
figures and an audit event, and apply it only when that is allowed.

Applied means: the learner is enabled and not in its own shadow, no operator has pinned the
threshold (AUTO_APPROVE_THRESHOLD), shadow mode and the kill switch are off, the proposal
changes something, and no change was applied in the last seven days (a re-run the same week
records its proposal but moves nothing). Everything else is recorded as what it would do.

Why a window and not the all-time reply_rates mart: the threshold in force changes week to
week, so only the recent sends tell what the current threshold lets through, and an
all-time rate would take months to answer a change. The window is the last `window_days`
of sends (send_outcomes.claimed_at) joined to the lead's approval path (lead_outcomes). The
newest sends in it have had less time to be answered, which reads as a lower reply rate:
that bias leans to raising the threshold, the safe direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from salesagent_dagster.domain.rule_config import load_learner_config, load_rule_settings
from salesagent_dagster.domain.threshold_learner import (
    LearnerConfig,
    OutcomeFigures,
    Proposal,
    effective_threshold,
    propose_threshold,
)
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.warehouse.location import WarehouseLocation, configured_warehouse
from salesagent_dagster.services.warehouse.lock import warehouse_writer
from salesagent_dagster.services.warehouse.report import HOW_TO_BUILD, MartsNotBuilt
from salesagent_dagster.store import audit, controls, threshold_changes, warehouse, warehouse_marts
from salesagent_dagster.store.models import utc_now

ACTOR = "threshold_learner"
SUBJECT = "auto_approve_threshold"
MIN_DAYS_BETWEEN_CHANGES = 7


@dataclass(frozen=True)
class LearnerRun:
    """What one run of the learner did; `change_id` is None when the learner is off."""

    mode: str  # off | shadow | live
    current_threshold: float
    proposed_threshold: float
    applied: bool
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)
    held_by: tuple[str, ...] = ()
    change_id: int | None = None

    def as_metadata(self) -> dict[str, Any]:
        """Numbers, words and counts only: nothing about a person (DESIGN I-6)."""
        return {
            "mode": self.mode,
            "current_threshold": self.current_threshold,
            "proposed_threshold": self.proposed_threshold,
            "applied": self.applied,
            "reason": self.reason,
            "held_by": ", ".join(self.held_by) or "nothing",
            "figures": self.figures,
        }


def read_figures(location: WarehouseLocation, since: datetime, until: datetime) -> OutcomeFigures:
    """The auto-approved sends claimed in [since, until) and what came back from them."""
    missing = MartsNotBuilt(
        f"the warehouse's send_outcomes and lead_outcomes marts are not built yet: {HOW_TO_BUILD}"
    )
    if location.is_duckdb and not location.path.exists():
        raise missing
    naive = [moment.astimezone(UTC).replace(tzinfo=None) for moment in (since, until)]
    with (
        warehouse_writer(location),
        warehouse.open_warehouse(location.path, location.url, read_only=True) as wh,
    ):
        if not warehouse_marts.marts_exist(wh, threshold_changes.LEARNER_MARTS):
            raise missing
        counts = threshold_changes.auto_approved_outcomes(wh, naive[0], naive[1])
    return OutcomeFigures(*counts)


def learn_threshold(
    app_store: AppStoreResource,
    outreach: OutreachSettings,
    location: WarehouseLocation | None = None,
    *,
    now: datetime | None = None,
    actor: str = ACTOR,
) -> LearnerRun:
    """One weekly pass (the `auto_approve_threshold` asset and `salesagent learner run`)."""
    config = load_learner_config(outreach.rules_file)
    rules = load_rule_settings(outreach.rules_file)
    if not config.enabled:
        with app_store.session() as session:
            current = _current(session, outreach, config, rules.auto_approve_threshold)
        return LearnerRun(
            "off", current, current, False, "the learner is off ([learner] enabled = false)"
        )
    now = now or utc_now()
    since = now - timedelta(days=config.window_days)
    outcomes = read_figures(location or configured_warehouse(), since, now)
    figures = {
        **outcomes.as_dict(),
        "window_start": since.isoformat(),
        "window_end": now.isoformat(),
        "window_days": config.window_days,
        "min_sample": config.min_sample,
    }
    with app_store.session() as session:
        current = _current(session, outreach, config, rules.auto_approve_threshold)
        proposal = propose_threshold(current, outcomes, config)
        held_by = _holds(session, outreach, config, rules.shadow_mode, now)
        applied = config.applies and proposal.changes and not held_by
        reason = proposal.reason + (f" (not applied: {'; '.join(held_by)})" if held_by else "")
        mode = "live" if config.applies else "shadow"
        row = threshold_changes.add_change(
            session,
            mode=mode,
            previous_threshold=proposal.previous,
            proposed_threshold=proposal.threshold,
            applied=applied,
            reason=reason,
            figures=figures,
            actor=actor,
            proposed_at=now,
        )
        audit.record(
            session,
            actor=actor,
            action="auto_approve_threshold_changed"
            if applied
            else "auto_approve_threshold_proposed",
            subject=SUBJECT,
            details=_audit_details(row.id, mode, proposal, applied, reason, figures),
        )
    return LearnerRun(
        mode, current, proposal.threshold, applied, reason, figures, tuple(held_by), row.id
    )


def _current(
    session: Session, outreach: OutreachSettings, config: LearnerConfig, file_threshold: float
) -> float:
    """The threshold in force now, by the same rule `rule_settings()` uses."""
    return effective_threshold(
        file_threshold,
        outreach.auto_approve_threshold,
        threshold_changes.latest_applied_threshold(session),
        config,
    )


def _holds(
    session: Session,
    outreach: OutreachSettings,
    config: LearnerConfig,
    file_shadow_mode: bool,
    now: datetime,
) -> list[str]:
    """Why a proposal would not be applied now, beyond the learner's own shadow."""
    held = []
    if not config.applies:
        held.append("the learner is in shadow ([learner] shadow = true)")
    if outreach.auto_approve_threshold is not None:
        held.append("AUTO_APPROVE_THRESHOLD is set: the operator's threshold wins")
    if file_shadow_mode or outreach.shadow_mode:
        held.append("shadow mode is on")
    if controls.kill_switch_on(session, forced=outreach.kill_switch_forced):
        held.append("the kill switch is on")
    last = threshold_changes.latest_applied(session)
    if last is not None and now - last.proposed_at < timedelta(days=MIN_DAYS_BETWEEN_CHANGES):
        held.append(
            f"one change a week: the last was applied {last.proposed_at:%Y-%m-%d %H:%M} UTC"
        )
    return held


def _audit_details(
    change_id: int,
    mode: str,
    proposal: Proposal,
    applied: bool,
    reason: str,
    figures: dict[str, Any],
) -> dict[str, Any]:
    return {
        "change_id": change_id,
        "mode": mode,
        "previous_threshold": proposal.previous,
        "proposed_threshold": proposal.threshold,
        "direction": proposal.direction.value,
        "applied": applied,
        "reason": reason,
        "figures": figures,
    }


def change_history(app_store: AppStoreResource, limit: int = 20) -> list[dict[str, Any]]:
    """The newest proposals first, as plain rows (the CLI's table)."""
    with app_store.session() as session:
        return [
            {
                "id": row.id,
                "proposed_at": row.proposed_at,
                "mode": row.mode,
                "previous_threshold": row.previous_threshold,
                "proposed_threshold": row.proposed_threshold,
                "applied": row.applied,
                "reason": row.reason,
                "figures": row.figures,
                "actor": row.actor,
            }
            for row in threshold_changes.history(session, limit)
        ]

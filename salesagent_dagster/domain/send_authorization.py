"""Who allowed a lead's email to go, for which draft version, and which soft rules they
took responsibility for.

Two sources can allow a send: the rules engine (`auto_approve`) and an operator (approve or
edit). A rejection is final: no later approval, re-run or rule brings the lead back (I-8).
Whatever allowed it, the send-time gate still checks every rule; overrides only excuse the
soft rules an operator named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from salesagent_dagster.domain.approval_rules import Outcome
from salesagent_dagster.domain.safety.findings import HARD_RULES, Finding
from salesagent_dagster.domain.send_limits import SEND_LIMIT_RULE

RULES = "rules"
# An operator's hold (`salesagent review hold`, during the undo window): the approval before
# it no longer allows a send; a later approve or edit allows one again.
HOLD = "hold"
# Operators' actions that put the lead back in front of a person: it waits in the review
# queue (CLI, desk, metrics) until the next approve, edit or reject.
RETURNS_TO_REVIEW = frozenset({HOLD})


@dataclass(frozen=True)
class DecisionFacts:
    outcome: str
    draft_version: int


@dataclass(frozen=True)
class ReviewFacts:
    action: str  # approve | edit | reject | hold
    reviewer: str
    draft_version: int
    overridden_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Authorization:
    draft_version: int
    authorized_by: str  # "rules" or the reviewer
    overridden_rules: frozenset[str] = frozenset()

    def refusals(self, findings: Sequence[Finding]) -> list[Finding]:
        """Findings that still stop the send: every hard one, and soft ones not overridden
        (a full send window is neither: see `may_refuse`)."""
        return [
            f for f in findings if may_refuse(f) and (f.hard or f.rule not in self.overridden_rules)
        ]


def may_refuse(finding: Finding) -> bool:
    """Whether a finding may stop a send or send it to review. A full send window may not:
    the send is deferred at send time until the window has room (DESIGN I-2)."""
    return finding.rule != SEND_LIMIT_RULE


def authorize(
    decision: DecisionFacts | None, reviews: Sequence[ReviewFacts]
) -> Authorization | None:
    """The authorization in force, or None when nobody (or nothing) has allowed a send."""
    if any(review.action == "reject" for review in reviews):
        return None
    if reviews:
        latest = reviews[-1]
        if latest.action == HOLD:
            return None
        return Authorization(
            latest.draft_version,
            latest.reviewer,
            frozenset(latest.overridden_rules) - HARD_RULES,
        )
    if decision is not None and decision.outcome == Outcome.AUTO_APPROVE:
        return Authorization(decision.draft_version, RULES)
    return None

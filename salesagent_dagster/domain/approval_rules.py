"""The auto-approval rules engine.

Each rule that fires carries a confidence; the decision takes the highest one and compares
it with the threshold. The engine approves or asks a person: it never rejects on its own
(a person decides that). Safety findings that must stop a send make the outcome `blocked`;
that is a gate, not a rejection, and an operator can see exactly which rule blocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    AUTO_APPROVE = "auto_approve"
    NEEDS_REVIEW = "needs_review"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class RuleSettings:
    """One place for the rules' confidences and the threshold (DESIGN: one settings object)."""

    auto_approve_threshold: float = 0.85
    replied_before_confidence: float = 0.95
    known_good_confidence: float = 0.90
    high_icp_verified_domain_confidence: float = 0.85
    high_icp_min_score: float = 0.9
    replied_within_days: int = 90
    shadow_mode: bool = False

    def __post_init__(self) -> None:
        for name in (
            "auto_approve_threshold",
            "replied_before_confidence",
            "known_good_confidence",
            "high_icp_verified_domain_confidence",
            "high_icp_min_score",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.replied_within_days <= 0:
            raise ValueError("replied_within_days must be positive")


@dataclass(frozen=True)
class DecisionInputs:
    replied_before: bool
    known_good: bool
    icp_score: float
    domain_verified: bool
    blocking_findings: tuple[str, ...] = ()
    review_findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FiredRule:
    name: str
    confidence: float
    because: str


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    confidence: float
    rules_fired: tuple[FiredRule, ...]
    rationale: str


def fire_rules(inputs: DecisionInputs, settings: RuleSettings) -> list[FiredRule]:
    """Every approval rule whose condition holds, strongest first."""
    fired: list[FiredRule] = []
    if inputs.replied_before:
        fired.append(
            FiredRule(
                "replied_before",
                settings.replied_before_confidence,
                f"they replied to us within {settings.replied_within_days} days",
            )
        )
    if inputs.known_good:
        fired.append(
            FiredRule("known_good", settings.known_good_confidence, "on the known-good list")
        )
    if inputs.icp_score >= settings.high_icp_min_score and inputs.domain_verified:
        fired.append(
            FiredRule(
                "high_icp_verified_domain",
                settings.high_icp_verified_domain_confidence,
                f"ICP {inputs.icp_score:.2f} >= {settings.high_icp_min_score:.2f} "
                "and the email domain matches the company",
            )
        )
    return sorted(fired, key=lambda rule: rule.confidence, reverse=True)


def decide(inputs: DecisionInputs, settings: RuleSettings) -> Decision:
    """Blocked if a hard safety finding exists; else auto-approve at or above the threshold;
    else needs review. Shadow mode records what auto would have done but asks a person."""
    fired = tuple(fire_rules(inputs, settings))
    confidence = fired[0].confidence if fired else 0.0
    if inputs.blocking_findings:
        return Decision(
            Outcome.BLOCKED,
            confidence,
            fired,
            "blocked by safety rules: " + "; ".join(inputs.blocking_findings),
        )
    reasons = "; ".join(f"{rule.name} ({rule.confidence:.2f}): {rule.because}" for rule in fired)
    if inputs.review_findings:
        return Decision(
            Outcome.NEEDS_REVIEW,
            confidence,
            fired,
            "a person must look: " + "; ".join(inputs.review_findings),
        )
    if fired and confidence >= settings.auto_approve_threshold:
        if settings.shadow_mode:
            return Decision(
                Outcome.NEEDS_REVIEW,
                confidence,
                fired,
                f"shadow mode: would auto-approve at {confidence:.2f} "
                f">= {settings.auto_approve_threshold:.2f} ({reasons})",
            )
        return Decision(
            Outcome.AUTO_APPROVE,
            confidence,
            fired,
            f"auto-approved at {confidence:.2f} >= {settings.auto_approve_threshold:.2f}: "
            + reasons,
        )
    if fired:
        why = (
            f"best rule confidence {confidence:.2f} is below the threshold "
            f"{settings.auto_approve_threshold:.2f} ({reasons})"
        )
    else:
        why = "no approval rule fired"
    return Decision(Outcome.NEEDS_REVIEW, confidence, fired, why)

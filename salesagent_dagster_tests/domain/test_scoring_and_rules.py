import pytest

from salesagent_dagster.domain.approval_rules import (
    DecisionInputs,
    Outcome,
    RuleSettings,
    decide,
)
from salesagent_dagster.domain.icp import IcpInputs, score_icp

IDEAL = IcpInputs(
    employees=300,
    job_title="VP of Sales",
    is_free_mail=False,
    domain_verified=True,
    country="Germany",
    industry="B2B Software",
)


def test_ideal_lead_scores_one_with_every_factor_recorded():
    icp = score_icp(IDEAL)
    assert icp.score == 1.0
    assert icp.bucket == "A"
    assert set(icp.factors) == {
        "company_size", "seniority", "business_domain", "domain_verified",
        "target_country", "target_industry",
    }  # fmt: skip


def test_weak_lead_scores_low():
    icp = score_icp(
        IcpInputs(
            employees=3,
            job_title="",
            is_free_mail=True,
            domain_verified=False,
            country="",
            industry="",
        )
    )
    assert icp.score < 0.1
    assert icp.bucket == "D"


def _inputs(**overrides):
    base = {
        "replied_before": False,
        "known_good": False,
        "icp_score": 0.5,
        "domain_verified": False,
    }
    base.update(overrides)
    return DecisionInputs(**base)


SETTINGS = RuleSettings()


def test_replied_before_wins_with_its_confidence():
    decision = decide(_inputs(replied_before=True, known_good=True), SETTINGS)
    assert decision.outcome == Outcome.AUTO_APPROVE
    assert decision.confidence == 0.95
    assert [r.name for r in decision.rules_fired] == ["replied_before", "known_good"]


def test_known_good_auto_approves_at_090():
    decision = decide(_inputs(known_good=True), SETTINGS)
    assert (decision.outcome, decision.confidence) == (Outcome.AUTO_APPROVE, 0.90)


def test_high_icp_needs_a_verified_domain():
    assert decide(_inputs(icp_score=0.95, domain_verified=True), SETTINGS).confidence == 0.85
    unverified = decide(_inputs(icp_score=0.95, domain_verified=False), SETTINGS)
    assert unverified.outcome == Outcome.NEEDS_REVIEW
    assert unverified.rationale == "no approval rule fired"


def test_threshold_above_rule_confidence_sends_to_review():
    decision = decide(
        _inputs(icp_score=0.95, domain_verified=True), RuleSettings(auto_approve_threshold=0.9)
    )
    assert decision.outcome == Outcome.NEEDS_REVIEW
    assert "below the threshold" in decision.rationale


def test_engine_never_rejects():
    for replied in (True, False):
        for score in (0.0, 0.5, 1.0):
            outcome = decide(_inputs(replied_before=replied, icp_score=score), SETTINGS).outcome
            assert outcome in (Outcome.AUTO_APPROVE, Outcome.NEEDS_REVIEW)


def test_hard_findings_block_and_soft_findings_ask_a_person():
    blocked = decide(_inputs(replied_before=True, blocking_findings=("suppression: x",)), SETTINGS)
    assert blocked.outcome == Outcome.BLOCKED
    review = decide(_inputs(replied_before=True, review_findings=("pii: card",)), SETTINGS)
    assert review.outcome == Outcome.NEEDS_REVIEW
    assert "pii: card" in review.rationale


def test_shadow_mode_records_what_auto_would_do():
    decision = decide(_inputs(replied_before=True), RuleSettings(shadow_mode=True))
    assert decision.outcome == Outcome.NEEDS_REVIEW
    assert decision.rationale.startswith("shadow mode: would auto-approve")


def test_settings_are_validated():
    with pytest.raises(ValueError, match="auto_approve_threshold"):
        RuleSettings(auto_approve_threshold=1.5)

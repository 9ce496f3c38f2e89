"""The override matrix: who may allow a send, and which findings an operator may take on."""

from __future__ import annotations

import pytest

from salesagent_dagster.domain.safety.findings import HARD_RULES, OVERRIDABLE_RULES, Finding
from salesagent_dagster.domain.send_authorization import (
    RULES,
    DecisionFacts,
    ReviewFacts,
    authorize,
)

AUTO = DecisionFacts("auto_approve", 1)
REVIEW = DecisionFacts("needs_review", 1)


def test_rules_engine_alone_authorizes_only_auto_approve():
    approved = authorize(AUTO, [])
    assert approved is not None and approved.authorized_by == RULES
    assert authorize(REVIEW, []) is None
    assert authorize(None, []) is None


def test_an_operator_approval_authorizes_the_version_they_approved():
    approved = authorize(REVIEW, [ReviewFacts("edit", "dana", 2, ("competitor",))])
    assert approved is not None
    assert (approved.draft_version, approved.authorized_by) == (2, "dana")
    assert approved.overridden_rules == frozenset({"competitor"})


def test_a_rejection_is_final_whatever_comes_after():
    reviews = [ReviewFacts("reject", "dana", 1), ReviewFacts("approve", "eve", 1)]
    assert authorize(AUTO, reviews) is None


@pytest.mark.parametrize("rule", sorted(HARD_RULES))
def test_hard_rules_refuse_even_when_named_as_overrides(rule):
    approved = authorize(REVIEW, [ReviewFacts("approve", "dana", 1, (rule,))])
    assert approved is not None
    finding = Finding(rule, "kind", "To")
    assert approved.refusals([finding]) == [finding]


@pytest.mark.parametrize("rule", sorted(OVERRIDABLE_RULES))
def test_soft_rules_refuse_unless_overridden(rule):
    finding = Finding(rule, "kind", "body")
    plain = authorize(REVIEW, [ReviewFacts("approve", "dana", 1)])
    overridden = authorize(REVIEW, [ReviewFacts("approve", "dana", 1, (rule,))])
    assert plain is not None and plain.refusals([finding]) == [finding]
    assert overridden is not None and overridden.refusals([finding]) == []


def test_hard_and_soft_rule_sets_do_not_overlap():
    assert not HARD_RULES & OVERRIDABLE_RULES

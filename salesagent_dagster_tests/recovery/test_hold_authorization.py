"""A hold undoes the approval before it, until the next approve or edit; a reject stays final."""

from salesagent_dagster.domain.approval_rules import Outcome
from salesagent_dagster.domain.send_authorization import (
    HOLD,
    RULES,
    DecisionFacts,
    ReviewFacts,
    authorize,
)

AUTO = DecisionFacts(Outcome.AUTO_APPROVE.value, 1)


def test_a_hold_withdraws_the_rules_approval():
    assert authorize(AUTO, []).authorized_by == RULES
    assert authorize(AUTO, [ReviewFacts(HOLD, "dana", 1)]) is None


def test_an_approval_after_a_hold_allows_the_send_again():
    reviews = [ReviewFacts(HOLD, "dana", 1), ReviewFacts("approve", "sam", 1)]
    assert authorize(AUTO, reviews).authorized_by == "sam"


def test_a_reject_stays_final_whatever_follows():
    reviews = [ReviewFacts("reject", "dana", 1), ReviewFacts(HOLD, "sam", 1)]
    assert authorize(AUTO, reviews) is None

"""The reply classifier holds every class at precision and recall >= 0.9 on its labelled set,
and gets the facts right (return date, bounced recipient, our Message-ID, unsubscribe key)."""

from __future__ import annotations

import pytest

from salesagent_dagster.domain.replies import ReplyKind, RuleClassifier
from salesagent_dagster.domain.replies.labelled_set import load_labelled
from salesagent_dagster.domain.replies.scoring import score

CASES = load_labelled()
CARD = score(RuleClassifier(), CASES)


def test_the_set_has_at_least_90_messages_and_8_of_every_class():
    assert len(CASES) >= 90
    for kind in ReplyKind:
        assert CARD.of(kind).support >= 8, kind


@pytest.mark.parametrize("kind", list(ReplyKind), ids=str)
def test_every_class_has_precision_and_recall_of_at_least_0_9(kind):
    result = CARD.of(kind)
    assert result.precision >= 0.9, CARD.misses
    assert result.recall >= 0.9, CARD.misses


def test_facts_are_right_on_at_least_nine_in_ten_of_the_replies_that_state_them():
    stating = [
        c
        for c in CASES
        if c.return_date or c.bounced_recipient or c.original_message_id or c.unsubscribe_key
    ]
    assert len(CARD.fact_misses) <= len(stating) / 10, CARD.fact_misses


def test_no_labelled_reply_that_quotes_our_footer_reads_as_an_opt_out():
    """Our footer says "Unsubscribe"; a human reply quoting it unsubscribes only by its own
    words. Every labelled human non-opt-out here quotes that footer somewhere."""
    wrongly_suppressed = [
        m for m in CARD.misses if m.got == ReplyKind.UNSUBSCRIBE or m.got == ReplyKind.BOUNCE_HARD
    ]
    assert wrongly_suppressed == []

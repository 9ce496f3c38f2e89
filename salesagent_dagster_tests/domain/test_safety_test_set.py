"""Every labelled draft in the safety test set fires exactly the rules it is labelled with,
except the documented known gaps (which the precision report counts against the rules)."""

from __future__ import annotations

import pytest

from salesagent_dagster.local.rule_precision import load_cases, precision_report, rules_fired

CASES = load_cases()


@pytest.mark.parametrize("case", [c for c in CASES if not c.known_gap], ids=lambda c: c.text[:40])
def test_labelled_case_fires_exactly_its_rules(case):
    assert rules_fired(case.text) == case.expect


@pytest.mark.parametrize("case", [c for c in CASES if c.known_gap], ids=lambda c: c.text[:40])
def test_known_gaps_are_still_gaps(case):
    """When a gap closes, promote the case: drop `known_gap` so it is held from then on."""
    assert rules_fired(case.text) != case.expect


def test_report_names_every_rule():
    report = precision_report(CASES)
    for rule in ("pii", "prohibited_content", "unresolved_placeholder", "unsupported_fact"):
        assert rule in report

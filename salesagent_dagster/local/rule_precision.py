"""Precision and recall of the text safety rules over the labelled test set.

`salesagent bench --rules` prints them; the figures go into the closing note of the safety
issue. A rule with low precision wastes reviewers' time; low recall lets something through.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from salesagent_dagster.domain.safety.content import (
    default_content_policy,
    find_prohibited_content,
    find_unresolved_placeholders,
)
from salesagent_dagster.domain.safety.grounding import find_unsupported_facts
from salesagent_dagster.domain.safety.pii import find_pii

TEST_SET = Path(__file__).with_name("safety_test_set.toml")
DEFAULT_FACTS = (
    "Ana", "Lopez", "BrightPath", "Head of Sales", "Software", "120",
    "We run 40 reps across 3 regions", "Riley Rep", "riley@seller.example",
    "https://seller.example/book-a-demo",
)  # fmt: skip
TEXT_RULES = ("pii", "prohibited_content", "unresolved_placeholder", "unsupported_fact")


@dataclass(frozen=True)
class Case:
    text: str
    expect: frozenset[str]
    known_gap: bool


def load_cases(path: Path = TEST_SET) -> list[Case]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Case(case["text"], frozenset(case.get("expect", [])), bool(case.get("known_gap")))
        for case in data["case"]
    ]


def rules_fired(text: str, facts: tuple[str, ...] = DEFAULT_FACTS) -> frozenset[str]:
    findings = (
        find_pii(text)
        + find_prohibited_content(text, default_content_policy())
        + find_unresolved_placeholders(text)
        + find_unsupported_facts(text, facts)
    )
    return frozenset(finding.rule for finding in findings)


def precision_report(cases: list[Case]) -> str:
    counts: dict[str, Counter[str]] = {rule: Counter() for rule in TEXT_RULES}
    for case in cases:
        fired = rules_fired(case.text)
        for rule in TEXT_RULES:
            if rule in fired and rule in case.expect:
                counts[rule]["tp"] += 1
            elif rule in fired:
                counts[rule]["fp"] += 1
            elif rule in case.expect:
                counts[rule]["fn"] += 1
    lines = [f"{len(cases)} labelled drafts ({TEST_SET.name})", ""]
    lines.append(f"{'rule':<24}{'precision':>10}{'recall':>8}{'TP':>5}{'FP':>5}{'FN':>5}")
    for rule, c in counts.items():
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        lines.append(
            f"{rule:<24}{precision:>10.2f}{recall:>8.2f}{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}"
        )
    return "\n".join(lines)

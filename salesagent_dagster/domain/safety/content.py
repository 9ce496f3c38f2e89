"""Prohibited content and unfinished templates.

The policy is data (a TOML file the team edits); this module only matches it. Matching is
on word boundaries and case-insensitive, so 'winner' catches 'Winner!' but not 'winnerless'.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from salesagent_dagster.domain.safety.findings import Finding, locate

DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[2] / "policy" / "content_policy.toml"

PLACEHOLDERS = re.compile(
    r"\{\{[^}]*\}\}|\{[a-z_][a-z0-9_]*\}|\[(?:first ?name|name|company|title)\]|%[A-Z_]{3,}%",
    re.IGNORECASE,
)


class ContentPolicyError(ValueError):
    """The policy file is unreadable or has the wrong shape; says which and where."""


@dataclass(frozen=True)
class ContentPolicy:
    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def load(cls, path: Path = DEFAULT_POLICY_PATH) -> ContentPolicy:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ContentPolicyError(f"cannot read content policy {path}: {exc}") from exc
        categories = data.get("categories")
        if not isinstance(categories, dict) or not categories:
            raise ContentPolicyError(f"{path}: needs at least one [categories.NAME] table")
        patterns = []
        for name, table in categories.items():
            phrases = table.get("phrases") if isinstance(table, dict) else None
            if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
                raise ContentPolicyError(
                    f"{path}: categories.{name}.phrases must be a list of strings"
                )
            for phrase in phrases:
                patterns.append((name, phrase_pattern(phrase)))
        return cls(tuple(patterns))


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Word-bounded where the phrase starts or ends with a word character."""
    words = [re.escape(word) for word in phrase.split()]
    body = r"\s+".join(words)
    start = r"(?<!\w)" if phrase[:1].isalnum() else ""
    end = r"(?!\w)" if phrase[-1:].isalnum() else ""
    return re.compile(start + body + end, re.IGNORECASE)


def find_prohibited_content(text: str, policy: ContentPolicy, part: str = "body") -> list[Finding]:
    normalised = unicodedata.normalize("NFKC", text)
    findings = []
    for category, pattern in policy.patterns:
        for match in pattern.finditer(normalised):
            findings.append(
                Finding("prohibited_content", category, locate(text, match.start(), part))
            )
    return findings


def find_unresolved_placeholders(text: str, part: str = "body") -> list[Finding]:
    return [
        Finding(
            "unresolved_placeholder", "template placeholder left in", locate(text, m.start(), part)
        )
        for m in PLACEHOLDERS.finditer(text)
    ]


@functools.cache
def default_content_policy() -> ContentPolicy:
    """The team's policy file, read once per process."""
    return ContentPolicy.load(DEFAULT_POLICY_PATH)

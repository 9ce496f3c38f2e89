"""A/B experiments on the first email: the policy file, its validation, and which arm a
lead gets.

Read from `policy/experiments.toml` (or SALESAGENT_EXPERIMENTS_FILE) and validated at load,
as the approval rules are: a typo, an unknown placeholder or an arm text the draft checks
would flag stops the code location with the file, the experiment and the arm named. Arm
text is fixed policy text: one line, no link or address of its own (the booking link comes
in as `$booking_url`), and it passes the same rules every draft passes (no PII, no
prohibited phrase, no placeholder left, no number or name we do not hold), so an arm does
not send its leads to review by itself and skew the comparison.

A lead's arm is a stable hash of (experiment, lead key) over the arms still running: the
same lead always gets the same arm, arms share leads evenly, and a stopped arm gets none.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from string import Template
from typing import Any

from salesagent_dagster.domain.draft_writer import (
    NO_VARIANT,
    VARIANT_PLACEHOLDERS,
    DraftVariant,
    variant_values,
)
from salesagent_dagster.domain.experiment_scoring import ScoringRule
from salesagent_dagster.domain.safety.content import (
    default_content_policy,
    find_prohibited_content,
    find_unresolved_placeholders,
)
from salesagent_dagster.domain.safety.grounding import find_unsupported_facts
from salesagent_dagster.domain.safety.pii import find_pii
from salesagent_dagster.domain.voice_profile import VoiceProfile

DEFAULT_EXPERIMENTS_PATH = Path(__file__).resolve().parents[1] / "policy" / "experiments.toml"
PARTS = ("subject", "opening", "call_to_action")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_LINK_OR_MARKUP = re.compile(r"https?://|www\.|@|<|>|[\x00-\x1f\x7f]")
_MAX_CHARS = {"subject": 120, "opening": 300, "call_to_action": 300}
_MAX_ARMS = 6
_SAMPLE_BOOKING_URL = "https://example.com/book"
_RULE_KEYS = {f.name: f.type for f in fields(ScoringRule)}


class ExperimentConfigError(ValueError):
    """The experiments file cannot be used; the message says which file, experiment, arm and
    key, and why."""


@dataclass(frozen=True)
class Arm:
    name: str
    variant: DraftVariant = NO_VARIANT


@dataclass(frozen=True)
class Experiment:
    name: str
    enabled: bool
    arms: tuple[Arm, ...]
    scoring: ScoringRule = field(default_factory=ScoringRule)

    def arm(self, name: str) -> Arm | None:
        return next((arm for arm in self.arms if arm.name == name), None)

    def assign(self, lead_key: str, stopped: Collection[str] = ()) -> Arm | None:
        """The lead's arm among those not `stopped`; None when every arm is stopped."""
        running = [arm for arm in self.arms if arm.name not in stopped]
        if not running:
            return None
        digest = hashlib.sha256(f"{self.name}\x00{lead_key}".encode()).digest()
        return running[int.from_bytes(digest[:8], "big") % len(running)]


@dataclass(frozen=True)
class Assignment:
    """A lead's arms ({experiment: arm}, as the draft records them) and the text they add."""

    arms: dict[str, str]
    variant: DraftVariant


@dataclass(frozen=True)
class ExperimentPolicy:
    experiments: tuple[Experiment, ...] = ()

    def experiment(self, name: str) -> Experiment | None:
        return next((e for e in self.experiments if e.name == name), None)

    def assign(
        self,
        lead_key: str,
        stopped: Mapping[str, Collection[str]] | None = None,
        previous: Mapping[str, str] | None = None,
    ) -> Assignment:
        """The lead's arm in each enabled experiment, over the arms still running
        (`stopped`: experiment -> arms). An arm the lead's earlier draft had (`previous`)
        is kept while it runs, so a re-drafted lead is not moved to another arm when an
        arm stops elsewhere."""
        stopped = stopped or {}
        previous = previous or {}
        arms: dict[str, str] = {}
        variant = NO_VARIANT
        for experiment in self.experiments:
            if not experiment.enabled:
                continue
            halted = stopped.get(experiment.name, ())
            kept = experiment.arm(previous.get(experiment.name, ""))
            arm = kept if kept and kept.name not in halted else None
            arm = arm or experiment.assign(lead_key, halted)
            if arm is None:
                continue
            arms[experiment.name] = arm.name
            # Enabled experiments vary different parts (checked at load): nothing is lost.
            variant = replace(
                variant, **{part: getattr(arm.variant, part) for part in _parts_of(arm)}
            )
        return Assignment(arms=arms, variant=variant)


def load_experiments(path: Path | str = "") -> ExperimentPolicy:
    resolved = Path(path) if path else DEFAULT_EXPERIMENTS_PATH
    try:
        stamp = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise ExperimentConfigError(f"cannot read experiments file {resolved}: {exc}") from exc
    return _load(resolved, stamp)


@functools.lru_cache(maxsize=8)
def _load(path: Path, stamp: int) -> ExperimentPolicy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ExperimentConfigError(f"cannot read experiments file {path}: {exc}") from exc
    unknown = sorted(set(data) - {"experiments"})
    if unknown:
        raise ExperimentConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; expected [[experiments]]"
        )
    tables = data.get("experiments", [])
    if not isinstance(tables, list):
        raise ExperimentConfigError(f"{path}: experiments must be [[experiments]] tables")
    experiments = tuple(_experiment(path, number, table) for number, table in enumerate(tables, 1))
    _check_unique(path, "experiment", [e.name for e in experiments])
    varied: dict[str, str] = {}
    for experiment in experiments:
        if not experiment.enabled:
            continue
        for part in sorted({part for arm in experiment.arms for part in _parts_of(arm)}):
            if part in varied:
                raise ExperimentConfigError(
                    f"{path}: enabled experiments {varied[part]} and {experiment.name} both "
                    f"vary the {part}; a lead's {part} can be one arm's only: disable one"
                )
            varied[part] = experiment.name
    return ExperimentPolicy(experiments)


def _experiment(path: Path, number: int, table: Any) -> Experiment:
    where = f"{path}: [[experiments]] #{number}"
    if not isinstance(table, dict):
        raise ExperimentConfigError(f"{where} must be a table")
    known = {"name", "enabled", "arms", *_RULE_KEYS}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ExperimentConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}"
        )
    name = table.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ExperimentConfigError(
            f"{where}: name must be lower-case letters, digits and _ (up to 40), got {name!r}"
        )
    where = f"{path}: experiment {name}"
    enabled = table.get("enabled")
    if not isinstance(enabled, bool):
        raise ExperimentConfigError(f"{where}: enabled must be true or false, got {enabled!r}")
    rule_values: dict[str, Any] = {}
    for key, kind in _RULE_KEYS.items():
        if key not in table:
            continue
        value = table[key]
        wanted = int if kind in (int, "int") else float
        if isinstance(value, bool) or not isinstance(
            value, (int,) if wanted is int else (int, float)
        ):
            raise ExperimentConfigError(
                f"{where}: {key} must be a {wanted.__name__}, got {value!r}"
            )
        rule_values[key] = wanted(value)
    try:
        scoring = ScoringRule(**rule_values)
    except ValueError as exc:
        raise ExperimentConfigError(f"{where}: {exc}") from exc
    arm_tables = table.get("arms")
    if not isinstance(arm_tables, list) or not 2 <= len(arm_tables) <= _MAX_ARMS:
        raise ExperimentConfigError(f"{where}: needs 2 to {_MAX_ARMS} [[experiments.arms]] tables")
    arms = tuple(_arm(where, number, arm) for number, arm in enumerate(arm_tables, 1))
    _check_unique(where, "arm", [arm.name for arm in arms])
    if len({arm.variant for arm in arms}) < len(arms):
        raise ExperimentConfigError(f"{where}: two arms have the same text; nothing to compare")
    return Experiment(name=name, enabled=enabled, arms=arms, scoring=scoring)


def _arm(where: str, number: int, table: Any) -> Arm:
    if not isinstance(table, dict):
        raise ExperimentConfigError(f"{where}: arm #{number} must be a table")
    unknown = sorted(set(table) - {"name", *PARTS})
    if unknown:
        raise ExperimentConfigError(
            f"{where}: arm #{number}: unknown key(s) {', '.join(unknown)}; "
            f"expected name, {', '.join(PARTS)}"
        )
    name = table.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ExperimentConfigError(
            f"{where}: arm #{number}: name must be lower-case letters, digits and _, got {name!r}"
        )
    texts = {}
    for part in PARTS:
        text = table.get(part, "")
        if not isinstance(text, str):
            raise ExperimentConfigError(f"{where}, arm {name}: {part} must be text")
        texts[part] = text.strip()
        if texts[part]:
            _check_text(f"{where}, arm {name}: {part}", part, texts[part])
    return Arm(name=name, variant=DraftVariant(**texts))


def _check_text(where: str, part: str, text: str) -> None:
    """Refuse arm text the writer could not fill or a draft check would flag."""
    if len(text) > _MAX_CHARS[part]:
        raise ExperimentConfigError(f"{where}: at most {_MAX_CHARS[part]} characters")
    if _LINK_OR_MARKUP.search(text):
        raise ExperimentConfigError(
            f"{where}: one line of plain text, with no link, address or markup of its own "
            "(write $booking_url for the booking link)"
        )
    template = Template(text)
    if not template.is_valid():
        raise ExperimentConfigError(f"{where}: a stray '$' (write $$ for a dollar sign)")
    used = set(template.get_identifiers())
    unknown = sorted(used - VARIANT_PLACEHOLDERS)
    if unknown:
        raise ExperimentConfigError(
            f"{where}: unknown placeholder(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(VARIANT_PLACEHOLDERS))}"
        )
    if part == "call_to_action" and "booking_url" not in used:
        raise ExperimentConfigError(f"{where}: must offer the booking link ($booking_url)")
    if part == "subject" and "booking_url" in used:
        raise ExperimentConfigError(f"{where}: no link in a subject line")
    for contracted in (True, False):
        values = variant_values(VoiceProfile(uses_contractions=contracted), "", _SAMPLE_BOOKING_URL)
        filled = template.substitute(values)
        findings = (
            find_pii(filled, part)
            + find_prohibited_content(filled, default_content_policy(), part)
            + find_unresolved_placeholders(filled, part)
            + find_unsupported_facts(filled, (), part)
        )
        if findings:
            raise ExperimentConfigError(
                f"{where}: the draft checks would flag it: "
                + "; ".join(finding.describe() for finding in findings)
            )


def _parts_of(arm: Arm) -> list[str]:
    return [part for part in PARTS if getattr(arm.variant, part)]


def _check_unique(where: Path | str, what: str, names: list[str]) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ExperimentConfigError(f"{where}: {what} name(s) used twice: {', '.join(repeated)}")

"""Reads the rules engine's one config file into `RuleSettings`, refusing anything unclear.

A typo in a key or a confidence of 9.5 must stop the code location from loading with a
message naming the file and the key, not quietly fall back to a default. The same file's
`[learner]` table bounds the threshold learner (domain/threshold_learner.py).
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from pathlib import Path
from typing import Any

from salesagent_dagster.domain.approval_rules import RuleSettings
from salesagent_dagster.domain.threshold_learner import LearnerConfig

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[1] / "policy" / "approval_rules.toml"

# file key -> RuleSettings field, per table ("" = top level)
_FIELDS: dict[str, dict[str, str]] = {
    "": {"auto_approve_threshold": "auto_approve_threshold", "shadow_mode": "shadow_mode"},
    "replied_before": {
        "confidence": "replied_before_confidence",
        "within_days": "replied_within_days",
    },
    "known_good": {"confidence": "known_good_confidence"},
    "high_icp_verified_domain": {
        "confidence": "high_icp_verified_domain_confidence",
        "min_icp_score": "high_icp_min_score",
    },
}


class RuleConfigError(ValueError):
    """The rules file cannot be used; the message says which file, key and why."""


LEARNER_TABLE = "learner"
# key -> "bool" | "int" | "float" (the annotation's name, whether or not it is postponed)
_LEARNER_FIELDS = {
    field.name: str(getattr(field.type, "__name__", field.type))
    for field in dataclasses.fields(LearnerConfig)
}


def load_rule_settings(path: Path | str = "") -> RuleSettings:
    return _load_file(path)[0]


def load_learner_config(path: Path | str = "") -> LearnerConfig:
    """The `[learner]` table (the threshold learner's bounds), defaults where it is absent."""
    return _load_file(path)[1]


def _load_file(path: Path | str) -> tuple[RuleSettings, LearnerConfig]:
    resolved = Path(path) if path else DEFAULT_RULES_PATH
    try:
        stamp = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise RuleConfigError(f"cannot read rules file {resolved}: {exc}") from exc
    return _load(resolved, stamp)


@functools.lru_cache(maxsize=8)
def _load(path: Path, stamp: int) -> tuple[RuleSettings, LearnerConfig]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleConfigError(f"cannot read rules file {path}: {exc}") from exc
    settings = _rule_settings(path, data)
    learner = _learner_config(path, data.get(LEARNER_TABLE, {}))
    # Checked once the learner is on, when the bounds mean something: a team file from before
    # the learner, with a threshold of its own and no [learner] table, still loads.
    if learner.enabled and not learner.floor <= settings.auto_approve_threshold <= learner.ceiling:
        raise RuleConfigError(
            f"{path}: auto_approve_threshold {settings.auto_approve_threshold} is outside the "
            f"learner's [floor, ceiling] = [{learner.floor}, {learner.ceiling}]; move the "
            "threshold or the bounds so that floor <= threshold <= ceiling"
        )
    return settings, learner


def _learner_config(path: Path, table: Any) -> LearnerConfig:
    where = f"[{LEARNER_TABLE}]"
    if not isinstance(table, dict):
        raise RuleConfigError(f"{path}: {where} must be a table")
    values: dict[str, Any] = {}
    for key, value in table.items():
        expected = _LEARNER_FIELDS.get(key)
        if expected is None:
            raise RuleConfigError(
                f"{path}: unknown key '{key}' at {where}; expected one of "
                + ", ".join(_LEARNER_FIELDS)
            )
        if expected == "bool":
            ok = isinstance(value, bool)
        elif expected == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise RuleConfigError(f"{path}: '{key}' at {where} must be a {expected}, got {value!r}")
        values[key] = float(value) if expected == "float" else value
    try:
        return LearnerConfig(**values)
    except ValueError as exc:
        raise RuleConfigError(f"{path}: {where}: {exc}") from exc


def _rule_settings(path: Path, data: dict[str, Any]) -> RuleSettings:
    values: dict[str, Any] = {}
    top = {key: value for key, value in data.items() if key not in ("rules", LEARNER_TABLE)}
    _take(path, "", top, values)
    rules = data.get("rules", {})
    if not isinstance(rules, dict):
        raise RuleConfigError(f"{path}: [rules] must be a table of rule tables")
    for name, table in rules.items():
        if name not in _FIELDS or name == "":
            known = ", ".join(k for k in _FIELDS if k)
            raise RuleConfigError(f"{path}: unknown rule [rules.{name}]; known rules: {known}")
        if not isinstance(table, dict):
            raise RuleConfigError(f"{path}: [rules.{name}] must be a table")
        _take(path, name, table, values)
    try:
        return RuleSettings(**values)
    except (TypeError, ValueError) as exc:
        raise RuleConfigError(f"{path}: {exc}") from exc


def _take(path: Path, table_name: str, table: dict[str, Any], values: dict[str, Any]) -> None:
    fields = _FIELDS[table_name]
    where = f"[rules.{table_name}]" if table_name else "top level"
    for key, value in table.items():
        if key not in fields:
            raise RuleConfigError(
                f"{path}: unknown key '{key}' at {where}; expected one of {', '.join(fields)}"
            )
        field = fields[key]
        expected = bool if field == "shadow_mode" else int if field.endswith("_days") else float
        if isinstance(value, bool) != (expected is bool) or not isinstance(
            value, (expected, int) if expected is float else expected
        ):
            raise RuleConfigError(
                f"{path}: '{key}' at {where} must be a {expected.__name__}, got {value!r}"
            )
        values[field] = float(value) if expected is float else value

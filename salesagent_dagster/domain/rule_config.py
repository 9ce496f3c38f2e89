"""Reads the rules engine's one config file into `RuleSettings`, refusing anything unclear.

A typo in a key or a confidence of 9.5 must stop the code location from loading with a
message naming the file and the key, not quietly fall back to a default.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from salesagent_dagster.domain.approval_rules import RuleSettings

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


def load_rule_settings(path: Path | str = "") -> RuleSettings:
    resolved = Path(path) if path else DEFAULT_RULES_PATH
    try:
        stamp = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise RuleConfigError(f"cannot read rules file {resolved}: {exc}") from exc
    return _load(resolved, stamp)


@functools.lru_cache(maxsize=8)
def _load(path: Path, stamp: int) -> RuleSettings:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleConfigError(f"cannot read rules file {path}: {exc}") from exc
    values: dict[str, Any] = {}
    top = {key: value for key, value in data.items() if key != "rules"}
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

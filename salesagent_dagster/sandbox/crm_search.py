"""HubSpot CRM search semantics: filter groups are ORed, filters inside a group are ANDed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def matches_filter(properties: dict[str, Any], spec: dict[str, Any]) -> bool:
    name = spec.get("propertyName", "")
    operator = spec.get("operator", "EQ")
    actual = properties.get(name)
    text = "" if actual is None else str(actual)
    value = spec.get("value")
    if operator == "HAS_PROPERTY":
        return text != ""
    if operator == "NOT_HAS_PROPERTY":
        return text == ""
    if operator == "EQ":
        return text.lower() == str(value).lower()
    if operator == "NEQ":
        return text.lower() != str(value).lower()
    if operator == "CONTAINS_TOKEN":
        token = str(value).lower().strip("*")
        return token in text.lower()
    if operator == "NOT_CONTAINS_TOKEN":
        return str(value).lower().strip("*") not in text.lower()
    if operator in ("IN", "NOT_IN"):
        values = {str(v).lower() for v in spec.get("values") or []}
        return (text.lower() in values) == (operator == "IN")
    if operator in ("GT", "GTE", "LT", "LTE"):
        left, right = _number(text), _number(value)
        if left is None or right is None:
            left_s, right_s = text, str(value)
            return {"GT": left_s > right_s, "GTE": left_s >= right_s,
                    "LT": left_s < right_s, "LTE": left_s <= right_s}[operator]  # fmt: skip
        return {"GT": left > right, "GTE": left >= right, "LT": left < right, "LTE": left <= right}[
            operator
        ]
    if operator == "BETWEEN":
        low, high = _number(value), _number(spec.get("highValue"))
        number = _number(text)
        return None not in (low, high, number) and low <= number <= high  # type: ignore[operator]
    raise ValueError(f"unsupported filter operator {operator}")


def matches_filter_groups(
    properties: dict[str, Any], groups: list[dict[str, Any]], query: str | None = None
) -> bool:
    if query and not any(query.lower() in str(v).lower() for v in properties.values()):
        return False
    if not groups:
        return True
    return any(all(matches_filter(properties, f) for f in g.get("filters") or []) for g in groups)


def sort_records(records: list[dict[str, Any]], sorts: list[Any]) -> list[dict[str, Any]]:
    ordered = sorted(records, key=lambda r: int(r["id"]))
    for spec in reversed(sorts):
        if isinstance(spec, str):
            name, descending = spec.lstrip("-"), spec.startswith("-")
        else:
            name = spec.get("propertyName", "")
            descending = str(spec.get("direction", "ASCENDING")).upper() == "DESCENDING"
        ordered.sort(key=_property_key(name), reverse=descending)
    return ordered


def _property_key(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda record: str(record["properties"].get(name) or "")

"""HubSpot CRM search semantics: filter groups are ORed, filters inside a group are ANDed.

Values are compared the way HubSpot compares them: strings case-insensitively, numbers as
numbers, and datetime properties (stored as ISO 8601) against epoch milliseconds, which is what
HubSpot's search takes for dates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from salesagent_dagster.sandbox.http_server import ApiError

OPERATORS = {
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18


def validate_filter_groups(groups: Any) -> list[dict[str, Any]]:
    """HubSpot's limits and operator names; a violation is a 400 like HubSpot's."""
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise ApiError(400, "Invalid input JSON: filterGroups must be a list of objects")
    if len(groups) > MAX_GROUPS:
        raise ApiError(400, f"Too many filter groups: at most {MAX_GROUPS} are allowed")
    total = 0
    for group in groups:
        filters = group.get("filters") or []
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise ApiError(400, f"Too many filters in a group: at most {MAX_FILTERS_PER_GROUP}")
        total += len(filters)
        for spec in filters:
            if spec.get("operator", "EQ") not in OPERATORS:
                raise ApiError(400, f"Unsupported filter operator {spec.get('operator')!r}")
            if not spec.get("propertyName"):
                raise ApiError(400, "Invalid input JSON: filter without propertyName")
    if total > MAX_FILTERS:
        raise ApiError(400, f"Too many filters: at most {MAX_FILTERS} in total")
    return groups


def _number(value: Any) -> float | None:
    """Numbers as numbers; ISO 8601 datetimes as epoch milliseconds."""
    text = "" if value is None else str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000


def _compare(operator: str, left: Any, right: Any) -> bool:
    return {"LT": left < right, "LTE": left <= right, "GT": left > right, "GTE": left >= right}[
        operator
    ]


def _contains_token(text: str, token: str) -> bool:
    """Whole tokens; `*` is a wildcard (`*@acme.io`)."""
    pattern = ".*".join(re.escape(part) for part in token.lower().split("*"))
    candidates = [text.lower(), *re.split(r"[\s,;]+", text.lower())]
    return any(re.fullmatch(pattern, candidate) for candidate in candidates if candidate)


def matches_filter(properties: dict[str, Any], spec: dict[str, Any]) -> bool:
    operator = spec.get("operator", "EQ")
    actual = properties.get(spec.get("propertyName", ""))
    text = "" if actual is None else str(actual)
    value = spec.get("value")
    if operator == "HAS_PROPERTY":
        return text != ""
    if operator == "NOT_HAS_PROPERTY":
        return text == ""
    if operator in ("EQ", "NEQ"):
        left, right = _number(text), _number(value)
        equal = left == right if None not in (left, right) else text.lower() == str(value).lower()
        return equal == (operator == "EQ")
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        return _contains_token(text, str(value)) == (operator == "CONTAINS_TOKEN")
    if operator in ("IN", "NOT_IN"):
        values = {str(v).lower() for v in spec.get("values") or []}
        return (text.lower() in values) == (operator == "IN")
    if operator == "BETWEEN":
        number, low, high = _number(text), _number(value), _number(spec.get("highValue"))
        if number is None or low is None or high is None:
            return False
        return low <= number <= high
    left_number, right_number = _number(text), _number(value)
    if left_number is None or right_number is None:
        return text != "" and _compare(operator, text.lower(), str(value).lower())
    return _compare(operator, left_number, right_number)


def matches_filter_groups(
    properties: dict[str, Any], groups: list[dict[str, Any]], query: str | None = None
) -> bool:
    """`query` is HubSpot's free-text search over the record's default text properties."""
    if query and not any(query.lower() in str(v).lower() for v in properties.values() if v):
        return False
    if not groups:
        return True
    return any(all(matches_filter(properties, f) for f in g.get("filters") or []) for g in groups)


def sort_records(records: list[dict[str, Any]], sorts: list[Any]) -> list[dict[str, Any]]:
    """Sorts as `["-createdate"]` strings (the client's model) or `{propertyName, direction}`."""
    ordered = sorted(records, key=lambda r: int(r["id"]))
    for spec in reversed(sorts):
        if isinstance(spec, str):
            name, descending = spec.lstrip("-"), spec.startswith("-")
        else:
            name = spec.get("propertyName", "")
            descending = str(spec.get("direction", "ASCENDING")).upper() == "DESCENDING"
        ordered.sort(key=_property_sort_key(name), reverse=descending)
    return ordered


def _property_sort_key(name: str) -> Callable[[dict[str, Any]], tuple[int, float, str]]:
    """Numbers and dates numerically, before text; text case-insensitively."""

    def key(record: dict[str, Any]) -> tuple[int, float, str]:
        value = record["properties"].get(name)
        number = _number(value)
        return (0, number, "") if number is not None else (1, 0.0, str(value or "").lower())

    return key

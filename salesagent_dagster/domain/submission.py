"""Form submissions as HubSpot delivers them, parsed into something we can store.

The submissions API hands us `values: [{name, value}, ...]` with whatever the form had;
a malformed item must become a recorded rejection, never an exception in the sensor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class MalformedSubmission(ValueError):
    """The submission cannot be read at all; `reason` is stored with the rejected row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FormSubmission:
    """One submission: identity for de-duplication plus the raw field values."""

    form_id: str
    conversion_id: str
    submitted_at: datetime
    page_url: str | None
    values: Mapping[str, str]


def parse_submission(form_id: str, item: Any) -> FormSubmission:
    """Read one item of the submissions API, raising MalformedSubmission with a reason."""
    if not isinstance(item, Mapping):
        raise MalformedSubmission("submission is not a JSON object")
    submitted_at_ms = item.get("submittedAt")
    if isinstance(submitted_at_ms, bool) or not isinstance(submitted_at_ms, (int, float)):
        raise MalformedSubmission("submittedAt is missing or not a number")
    raw_values = item.get("values")
    if not isinstance(raw_values, list):
        raise MalformedSubmission("values is missing or not a list")
    values: dict[str, str] = {}
    for entry in raw_values:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise MalformedSubmission("a values entry has no field name")
        value = entry.get("value")
        # Multi-select fields arrive as ';'-joined strings; anything else is coerced to text.
        values[entry["name"]] = "" if value is None else str(value)
    conversion_id = item.get("conversionId")
    if not isinstance(conversion_id, str) or not conversion_id:
        # Older submissions may lack a conversionId; a content hash is stable across polls.
        conversion_id = "sha256:" + submission_content_hash(form_id, item)
    page_url = item.get("pageUrl")
    return FormSubmission(
        form_id=form_id,
        conversion_id=conversion_id,
        submitted_at=datetime.fromtimestamp(submitted_at_ms / 1000, tz=UTC),
        page_url=page_url if isinstance(page_url, str) else None,
        values=values,
    )


def submission_content_hash(form_id: str, item: Any) -> str:
    """Stable identity of a submission's content, for items that carry no conversionId."""
    canonical = json.dumps([form_id, item], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]

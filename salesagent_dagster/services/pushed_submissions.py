"""Submissions HubSpot pushes (a workflow's "Send a webhook" action), read into the inbox.

HubSpot apps have no form-submission webhook; a workflow triggered by the form can POST each
submission. The body we document for that action (README, "Pushed submissions") is the
submission as the submissions API lists it, plus the form's id: `{"formId", "conversionId",
"submittedAt", "values": [{"name", "value"}], "pageUrl"}`, or a list of those. Each is stored
through `store_submission` exactly as the poller stores it (the same keys, the same raw shape),
so the poller, which stays the source of truth, finds it already there.

What this module decides is what HubSpot should do next, since its retries depend on the
status: 5xx and 429 are retried for up to three days, other 4xx never. So a body that can never
be read is a 4xx, and anything that may pass later (the app DB, the form list) a 5xx.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.services.submission_intake import store_submission

# Keys a workflow adds around the submission; the inbox keeps the submissions API's shape.
ENVELOPE_KEYS = ("formId", "portalId")
FORM_LIST_TTL_SECONDS = 300.0
MAX_ITEMS = 100


class UnreadablePush(ValueError):
    """The body can never be stored as it is: HubSpot must not retry it (a 400)."""


class UnknownForm(ValueError):
    """A form this installation does not read: a workflow pointed at the wrong form (a 422)."""


@dataclass
class PushReport:
    stored: list[str] = field(default_factory=list)  # partition keys of new accepted leads
    duplicates: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "stored": len(self.stored),
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


def pushed_items(body: bytes, query_form_id: str | None) -> list[tuple[str, dict[str, Any]]]:
    """(form id, submission item) pairs from a webhook body; UnreadablePush says why not."""
    try:
        decoded = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UnreadablePush("the body is not JSON") from None
    items = decoded if isinstance(decoded, list) else [decoded]
    if not items or len(items) > MAX_ITEMS:
        raise UnreadablePush(f"the body holds {len(items)} submissions (1 to {MAX_ITEMS})")
    pairs = []
    for item in items:
        if not isinstance(item, dict):
            raise UnreadablePush("a submission is not a JSON object")
        form_id = item.get("formId", query_form_id)
        if not isinstance(form_id, str) or not form_id.strip():
            raise UnreadablePush("no formId in the submission nor in the query")
        pairs.append((form_id.strip(), {k: v for k, v in item.items() if k not in ENVELOPE_KEYS}))
    return pairs


class FormList:
    """The forms this installation reads (HUBSPOT_FORM_IDS, else the portal's), kept a few
    minutes: a burst of webhooks must not list the portal's forms once per submission."""

    def __init__(self, hubspot: HubSpotResource, clock: Callable[[], float] = time.monotonic):
        self._hubspot = hubspot
        self._clock = clock
        self._ids: frozenset[str] = frozenset()
        self._read_at: float | None = None

    def contains(self, form_id: str) -> bool:
        """Raises the HubSpot resource's ServiceError when the list cannot be read."""
        stale = self._read_at is None or self._clock() - self._read_at > FORM_LIST_TTL_SECONDS
        if stale or form_id not in self._ids:
            # A form added since the last read is looked up again before it is refused.
            self._ids = frozenset(self._hubspot.form_ids_to_poll())
            self._read_at = self._clock()
        return form_id in self._ids


def store_pushed(
    app_store: AppStoreResource,
    forms: FormList,
    fingerprint: Callable[[str], str],
    items: Sequence[tuple[str, dict[str, Any]]],
) -> PushReport:
    """Store every item in one transaction, or none (the answer is then a 5xx, and HubSpot
    sends them all again)."""
    for form_id, _ in items:
        if not forms.contains(form_id):
            raise UnknownForm(f"form {form_id} is not one this installation reads")
    report = PushReport()
    with app_store.session() as session:
        for form_id, item in items:
            stored = store_submission(session, form_id, item, fingerprint)
            if not stored.created:
                report.duplicates += 1
            elif stored.accepted:
                report.stored.append(stored.partition_key)
            else:
                report.rejected += 1
    return report

"""Read new HubSpot form submissions into the inbox.

Submissions come newest first, so each form is read page by page until we pass the
form's watermark (minus an overlap for late-indexed items); the inbox's unique
(form, conversionId) makes re-reading harmless. The watermark is advanced in the same
transaction that stores the items, so nothing is skipped if we crash (DESIGN I-9).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from salesagent_dagster.resources.errors import ServiceError
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.services.submission_intake import store_submission
from salesagent_dagster.store import inbox

OVERLAP_MS = 5 * 60 * 1000
FIRST_POLL_LOOKBACK_MS = 24 * 60 * 60 * 1000  # never mail people who wrote long before we started


@dataclass
class PollReport:
    new_accepted: int = 0
    new_rejected: int = 0
    seen: int = 0
    form_errors: dict[str, str] = field(default_factory=dict)


SessionFactory = Callable[[], AbstractContextManager[Session]]


def poll_form_submissions(
    hubspot: HubSpotResource,
    session_factory: SessionFactory,
    fingerprint: Callable[[str], str],
    now_ms: int | None = None,
) -> PollReport:
    """Store every submission newer than each form's watermark; errors stay per form."""
    report = PollReport()
    now_ms = now_ms or int(time.time() * 1000)
    try:
        form_ids = hubspot.form_ids_to_poll()
    except ServiceError as exc:
        report.form_errors["*"] = str(exc)
        return report
    for form_id in form_ids:
        try:
            _poll_one_form(hubspot, session_factory, fingerprint, form_id, now_ms, report)
        except ServiceError as exc:
            report.form_errors[form_id] = str(exc)
    return report


def _poll_one_form(
    hubspot: HubSpotResource,
    session_factory: SessionFactory,
    fingerprint: Callable[[str], str],
    form_id: str,
    now_ms: int,
    report: PollReport,
) -> None:
    with session_factory() as session:
        watermark = inbox.watermark(session, form_id)
    stop_below_ms = (
        watermark - OVERLAP_MS if watermark is not None else now_ms - FIRST_POLL_LOOKBACK_MS
    )
    collected: list[Any] = []
    after: str | None = None
    while True:
        page = hubspot.submissions_page(form_id, after)
        reached_old = False
        for item in page.items:
            submitted_at = item.get("submittedAt") if isinstance(item, dict) else None
            if isinstance(submitted_at, (int, float)) and submitted_at < stop_below_ms:
                reached_old = True
                break
            collected.append(item)
        if reached_old or not page.next_after:
            break
        after = page.next_after
    report.seen += len(collected)
    if not collected:
        return
    with session_factory() as session:
        newest_ms = watermark or 0
        # Oldest first, so inbox ids (and so run order) follow submission order.
        for item in reversed(collected):
            newest_ms = max(newest_ms, _store_item(session, form_id, item, fingerprint, report))
        if newest_ms:
            inbox.advance_watermark(session, form_id, newest_ms)


def _store_item(
    session: Session,
    form_id: str,
    item: Any,
    fingerprint: Callable[[str], str],
    report: PollReport,
) -> int:
    stored = store_submission(session, form_id, item, fingerprint)
    if stored.created:
        if stored.accepted:
            report.new_accepted += 1
        else:
            report.new_rejected += 1
    return stored.submitted_at_ms

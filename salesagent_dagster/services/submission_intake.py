"""One way a HubSpot form submission enters the inbox, whichever way it arrived.

The poller (defs/intake/form_polling.py) and the signed webhook (edge/hubspot_webhook.py) both
store through `store_submission`, so a submission seen both ways is one row: the inbox is
unique on (form, conversionId), and an item without a usable conversionId is keyed by a hash of
its content, the same hash whichever path saw it. A malformed item is stored as rejected with
its reason (DESIGN I-11: bad input is recorded, never lost, never a crash).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from salesagent_dagster.domain.lead_profile import form_email
from salesagent_dagster.domain.submission import (
    MalformedSubmission,
    parse_submission,
    submission_content_hash,
)
from salesagent_dagster.store import inbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredSubmission:
    partition_key: str
    created: bool  # False: the inbox already held it (the other path, or a retry)
    accepted: bool
    reject_reason: str | None
    submitted_at_ms: int  # 0 for a rejected item: it moves no watermark


def store_submission(
    session: Session, form_id: str, item: Any, fingerprint: Callable[[str], str]
) -> StoredSubmission:
    """Store one submissions-API item (accepted or rejected with its reason), once."""
    try:
        parsed = parse_submission(form_id, item)
    except MalformedSubmission as exc:
        row, created = inbox.record_submission(
            session,
            form_id=form_id,
            conversion_id="sha256:" + submission_content_hash(form_id, item),
            payload={"raw": item},
            submitted_at=None,
            reject_reason=exc.reason,
        )
        if created:
            log.warning("rejected a malformed submission on form %s: %s", form_id, exc.reason)
        return StoredSubmission(row.partition_key, created, False, row.reject_reason, 0)
    row, created = inbox.record_submission(
        session,
        form_id=form_id,
        conversion_id=parsed.conversion_id,
        payload={"raw": item},
        submitted_at=parsed.submitted_at,
        reject_reason=None,
        email_hash=_email_hash(parsed.values, fingerprint),
    )
    return StoredSubmission(
        row.partition_key,
        created,
        row.status == "accepted",
        row.reject_reason,
        int(parsed.submitted_at.timestamp() * 1000),
    )


def _email_hash(values: Mapping[str, str], fingerprint: Callable[[str], str]) -> str | None:
    email, _ = form_email(values)
    return fingerprint(email.address) if email else None

"""Right of access (GDPR art. 15): everything the app DB holds about a person, as JSON.

The same lookup as erasure, so what is exported is exactly what erasure would remove, plus
whether the person is on the suppression list and the audit records about their leads.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from salesagent_dagster.privacy.app_rows import partition_rows
from salesagent_dagster.privacy.person_lookup import address_hashes, partition_keys_of
from salesagent_dagster.privacy.retention import SessionFactory
from salesagent_dagster.store import suppression
from salesagent_dagster.store.models import AuditEvent, utc_now


def export_person(
    address: str, *, session_factory: SessionFactory, hash_salt: str
) -> dict[str, Any]:
    hashes = address_hashes(address, hash_salt)
    with session_factory() as session:
        keys = partition_keys_of(session, address, hashes)
        audit = [
            {"at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject,
             "details": e.details}
            for e in session.scalars(select(AuditEvent).where(AuditEvent.subject.in_(keys)))
        ]  # fmt: skip
        return {
            "exported_at": utc_now(),
            "address": address.strip(),
            "suppressed": any(suppression.is_suppressed(session, h) for h in hashes),
            "leads": keys,
            "records": partition_rows(session, keys),
            "audit_log": audit,
        }


def export_json(export: dict[str, Any]) -> str:
    return json.dumps(export, indent=2, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)

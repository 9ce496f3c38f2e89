"""Right of access (GDPR art. 15): everything the app DB holds about a person, as JSON.

The same lookup as erasure, so what is exported is exactly what erasure would remove, plus
whether the person is on the suppression list and the audit records about their leads.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from salesagent_dagster.services.privacy.person_lookup import (
    address_hashes,
    address_spellings,
    partition_keys_of,
)
from salesagent_dagster.services.privacy.retention import SessionFactory
from salesagent_dagster.store import person_rows, suppression
from salesagent_dagster.store.models import utc_now
from salesagent_dagster.store.partition_rows import partition_rows


def export_person(
    address: str, *, session_factory: SessionFactory, hash_salt: str
) -> dict[str, Any]:
    hashes = address_hashes(address, hash_salt)
    with session_factory() as session:
        keys = partition_keys_of(session, address, hashes)
        audit = [
            {"at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject,
             "details": e.details}
            for e in person_rows.audit_events_of(session, keys)
        ]  # fmt: skip
        inbound = person_rows.inbound_message_ids_of(session, hashes, address_spellings(address))
        return {
            "exported_at": utc_now(),
            "address": address.strip(),
            "suppressed": any(suppression.is_suppressed(session, h) for h in hashes),
            "leads": keys,
            "records": partition_rows(session, keys),
            "inbound_mail": person_rows.inbound_messages_by_id(session, inbound),
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

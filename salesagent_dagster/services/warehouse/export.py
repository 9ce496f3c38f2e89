"""The export: the app DB's facts since the last export, into the warehouse's raw schema.

Incremental by a watermark kept in the warehouse itself (written in the same transaction as
the rows, so a failed export leaves both as they were): each export reads the leads changed
since the previous one started, less an overlap that covers transactions still open when it
read. A changed lead is rewritten whole in every per-lead table, which makes re-reading a lead
harmless and drops rows that went away within it.

What goes in (DESIGN I-6, section 4: no PII column beyond hashed ids): leads by their opaque
partition key, people by the salted address hash the product already stores, mailboxes by the
same salted hash of their address; reasons as codes. No address, name, company, subject or
body is read (store/warehouse_facts.py picks the columns).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from salesagent_dagster.domain.email_address import email_fingerprint
from salesagent_dagster.services.warehouse.location import WarehouseLocation
from salesagent_dagster.store import warehouse, warehouse_facts
from salesagent_dagster.store.send_ledger import DONE_STATES
from salesagent_dagster.store.warehouse import PER_LEAD_TABLES, RAW_TABLES, Warehouse

SessionFactory = Callable[[], AbstractContextManager[Session]]
EXPORT_OVERLAP = timedelta(minutes=10)
KEYS_PER_BATCH = 500  # well under SQLite's bound-variable limit


@dataclass
class ExportReport:
    since: datetime | None
    through: datetime
    leads: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, Any]:
        """Counts and times only: safe for Dagster metadata."""
        return {
            "since": self.since.isoformat() if self.since else "everything",
            "through": self.through.isoformat(),
            "leads_exported": self.leads,
            **{f"rows_{table}": n for table, n in self.rows.items()},
        }


def export_to_warehouse(
    session_factory: SessionFactory,
    location: WarehouseLocation,
    hash_salt: str,
    *,
    now: datetime | None = None,
) -> ExportReport:
    """Export what changed; the caller holds the writer lock (services/warehouse/lock.py)."""
    started = now or datetime.now(UTC)
    with warehouse.open_warehouse(location.path, location.url) as target:
        warehouse.create_raw_tables(target)
        last = warehouse.watermark(target)
        since = None if last is None else last.replace(tzinfo=UTC) - EXPORT_OVERLAP
        report = ExportReport(since=since, through=started)
        report.rows = dict.fromkeys(RAW_TABLES, 0)
        with session_factory() as session:
            keys = warehouse_facts.changed_lead_keys(session, since)
            for start in range(0, len(keys), KEYS_PER_BATCH):
                batch = keys[start : start + KEYS_PER_BATCH]
                for table, frame in lead_frames(session, batch, hash_salt).items():
                    warehouse.delete_where(target, table, "lead_key", batch)
                    _insert(target, table, frame)
                    report.rows[table] += len(frame)
            suppressions = _frame("suppressions", warehouse_facts.suppression_rows(session, since))
        warehouse.replace_rows(target, "suppressions", suppressions)
        report.rows["suppressions"] = len(suppressions)
        report.leads = len(keys)
        warehouse.set_watermark(target, _naive(started), _naive(datetime.now(UTC)))
    return report


def lead_frames(session: Session, keys: Sequence[str], salt: str) -> dict[str, pd.DataFrame]:
    """The per-lead tables' rows for `keys`, as the raw schema holds them."""

    def mailbox_hash(mailbox: str | None) -> str | None:
        return email_fingerprint(mailbox, salt) if mailbox else None

    leads = [
        {
            **row,
            "reason_code": reason_code(row.pop("status_reason")),
            "mailbox_hash": mailbox_hash(row.pop("mailbox")),
        }
        for row in warehouse_facts.lead_rows(session, keys)
    ]
    sends, variants = [], []
    for row in warehouse_facts.send_rows(session, keys):
        send_key = f"{row['lead_key']}:{row['step']}"
        variants += [
            {
                "variant_key": f"{send_key}:{experiment}",
                "send_key": send_key,
                "lead_key": row["lead_key"],
                "experiment": experiment,
                "arm": arm,
            }
            for experiment, arm in sorted((row.pop("variant") or {}).items())
        ]
        sends.append(
            {
                "send_key": send_key,
                **row,
                "mailbox_hash": mailbox_hash(row.pop("mailbox")),
                "settled_at": row.pop("updated_at") if row["state"] in DONE_STATES else None,
            }
        )
    steps = [
        {"step_key": f"{row['lead_key']}:{row['step']}", **row}
        for row in warehouse_facts.follow_up_rows(session, keys)
    ]
    replies = [
        {"reply_key": str(row.pop("id")), **row}
        for row in warehouse_facts.reply_rows(session, keys)
    ]
    rows = {
        "leads": leads,
        "decisions": warehouse_facts.decision_rows(session, keys),
        "sends": sends,
        "send_variants": variants,
        "follow_up_steps": steps,
        "replies": replies,
    }
    return {table: _frame(table, rows[table]) for table in PER_LEAD_TABLES}


def reason_code(reason: str | None) -> str | None:
    """A lead's status reason as a code: the product's wording before any detail, which for
    an invalid address may quote what was typed ("invalid email: ...")."""
    if reason is None:
        return None
    head = reason.split(":", 1)[0]
    return re.sub(r"[^a-z0-9]+", "_", head.lower()).strip("_")[:60] or None


def _frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    _, columns = RAW_TABLES[table]
    names = [name for name, _ in columns]
    clean = [{name: _naive(row.get(name)) for name in names} for row in rows]
    return pd.DataFrame(clean, columns=names, dtype=object)


def _insert(target: Warehouse, table: str, frame: pd.DataFrame) -> None:
    if not frame.empty:
        target.insert(table, frame)


def _naive(value: Any) -> Any:
    """A datetime as UTC without a zone (how the raw schema stores time on both engines);
    anything else as it is."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value

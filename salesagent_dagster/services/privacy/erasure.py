"""Erasing a person (GDPR art. 17, DESIGN I-7): everything we hold or made about them goes.

Order matters. External copies go first (Gmail drafts we created, optionally the HubSpot
engagements we logged), while the app DB still says where they are; then the analytics
warehouse and any other warehouse hooks; then the Dagster runs, events, compute logs and
partitions of their leads (in a batch run other leads share: their leads' own events); last, in one
transaction, their app rows, a salted hash on the suppression list (so they are never
contacted again) and an audit record that names the hash, never the address. A failure
before the last step leaves the app DB untouched, so erasing again picks up where it stopped;
every step treats "already gone" as done.

Each erased submission leaves a tombstone in the inbox: its HubSpot ids and opaque key,
no payload, status rejected. HubSpot still holds the form submission, and the poller
re-reads recent ones (an overlap window); without the tombstone it would store the person's
submission again right after the erasure.

Audit records about the erased leads are kept (who did what, when: DESIGN I-8) with their
free-text details replaced, since an operator's reason may quote the person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import DagsterInstance

from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.services.follow_ups import cancel_follow_ups
from salesagent_dagster.services.privacy.dagster_records import delete_partition_records
from salesagent_dagster.services.privacy.person_lookup import (
    address_hashes,
    address_spellings,
    partition_keys_of,
)
from salesagent_dagster.services.privacy.retention import SessionFactory
from salesagent_dagster.services.privacy.warehouse_hooks import registered_hooks
from salesagent_dagster.services.warehouse.erasure import erase_from_warehouse
from salesagent_dagster.store import (
    audit,
    inbound_mail,
    known_good,
    lead_batches,
    person_rows,
    suppression,
)
from salesagent_dagster.store.models import Submission, utc_now
from salesagent_dagster.store.partition_rows import delete_partition_rows
from salesagent_dagster.store.sqlite_compaction import compact, compact_tree, sqlite_path

ERASED_DETAILS = {"redacted": "person erased"}
ERASED_REASON = "erased on request (GDPR)"


@dataclass
class ErasureReport:
    subject_hash: str
    leads: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    busy_sqlite_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Counts and the hash only: safe for logs, run metadata and the terminal."""
        return {"subject_hash": self.subject_hash, "leads": self.leads, **self.counts}


@dataclass(frozen=True)
class ErasureTargets:
    """Where the person's data lives besides the app DB."""

    instance: DagsterInstance
    gmail_for_mailbox: Callable[[str], GmailResource] | None = None
    hubspot: HubSpotResource | None = None  # None: HubSpot engagements are left in place
    compact_sqlite: bool = True


def erase_person(
    address: str,
    *,
    session_factory: SessionFactory,
    database_url: str,
    hash_salt: str,
    targets: ErasureTargets,
    actor: str,
) -> ErasureReport:
    hashes = address_hashes(address, hash_salt)
    report = ErasureReport(subject_hash=hashes[0])
    with session_factory() as session:
        keys = partition_keys_of(session, address, hashes)
        # First, so no follow-up step is released while the rest of the erasure runs.
        for key in keys:
            cancel_follow_ups(session, key, "erased")
        drafts = person_rows.gmail_drafts_of(session, keys)
        engagements = person_rows.hubspot_engagements_of(session, keys)
        batches = lead_batches.batches_of(session, keys)  # batch runs shared with others
    report.leads = len(keys)

    report.counts["gmail_drafts_deleted"] = _delete_gmail_drafts(drafts, targets)
    report.counts["hubspot_engagements_archived"] = _archive_engagements(engagements, targets)
    # The analytics warehouse: raw rows by hash and key; its marts are rebuilt on the next
    # refresh, and the per-lead views read the raw rows, so the person leaves them at once.
    report.counts["warehouse_raw_rows"] = erase_from_warehouse(hashes, keys)
    for hook in registered_hooks():
        report.counts[f"warehouse_{hook.name}"] = hook.erase(hashes, keys)
    report.counts.update(
        delete_partition_records(targets.instance, keys, batches=batches).as_counts()
    )

    with session_factory() as session:
        tombstones = [
            Submission(
                partition_key=row.partition_key,
                form_id=row.form_id,
                conversion_id=row.conversion_id,
                submitted_at=row.submitted_at,
                received_at=row.received_at,
                payload={},
                email_hash=None,
                status="rejected",
                reject_reason=ERASED_REASON,
                dispatched_at=row.dispatched_at or utc_now(),
            )
            for row in person_rows.submissions_of(session, keys)
        ]
        rows = delete_partition_rows(session, keys)
        session.add_all(tombstones)
        report.counts.update({f"rows_{table}": n for table, n in rows.items()})
        # Mail from or about them that no lead of theirs covers, and what it taught us.
        inbound = person_rows.inbound_message_ids_of(session, hashes, address_spellings(address))
        report.counts["rows_inbound_messages_unmatched"] = inbound_mail.delete_inbound_rows(
            session, inbound
        )
        report.counts["rows_known_good_recipients"] = known_good.forget_known_good(session, hashes)
        report.counts["audit_events_redacted"] = person_rows.redact_audit_events(
            session, keys, ERASED_DETAILS
        )
        suppression.suppress(session, hashes[0], "erased")
        audit.record(
            session,
            actor=actor,
            action="erase_person",
            subject=hashes[0],
            details={"leads": len(keys), **report.counts},
        )
    if targets.compact_sqlite:
        report.busy_sqlite_files = _compact(database_url, targets.instance)
    return report


def _delete_gmail_drafts(drafts: list[tuple[str, str]], targets: ErasureTargets) -> int:
    if not drafts:
        return 0
    if targets.gmail_for_mailbox is None:
        raise ValueError("Gmail drafts exist for this person but no Gmail resource was given")
    return sum(
        targets.gmail_for_mailbox(mailbox).delete_draft(draft_id) for mailbox, draft_id in drafts
    )


def _archive_engagements(engagements: list[tuple[str, str]], targets: ErasureTargets) -> int:
    if targets.hubspot is None:
        return 0
    hubspot = targets.hubspot
    return sum(hubspot.archive_engagement(kind, object_id) for kind, object_id in engagements)


def _compact(database_url: str, instance: DagsterInstance) -> list[str]:
    busy: list[str] = []
    app_db = sqlite_path(database_url)
    if app_db is not None and app_db.exists() and not compact(app_db):
        busy.append(str(app_db))
    home = Path(instance.root_directory)
    busy += [str(p) for p in compact_tree(home, skip={app_db} if app_db else set())]
    return busy

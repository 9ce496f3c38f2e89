"""Which leads each batch run carries (`lead_batch_members`), by the batch's run key."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from salesagent_dagster.store.models import LeadBatchMember

_CHUNK = 500  # SQLite caps bound variables per statement


def new_batch_key() -> str:
    """Opaque and random, like a partition key (DESIGN I-6)."""
    return "batch_" + secrets.token_hex(10)


def record_batch(session: Session, batch_key: str, partition_keys: Sequence[str]) -> None:
    session.add_all(
        LeadBatchMember(batch_key=batch_key, partition_key=key) for key in partition_keys
    )


def batches_of(session: Session, partition_keys: Sequence[str]) -> dict[str, set[str]]:
    """Each batch carrying any of these leads, with every member it still has."""
    keys = list(dict.fromkeys(partition_keys))
    batch_keys: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        batch_keys |= set(
            session.scalars(
                select(LeadBatchMember.batch_key).where(
                    LeadBatchMember.partition_key.in_(keys[start : start + _CHUNK])
                )
            )
        )
    members: dict[str, set[str]] = {batch: set() for batch in batch_keys}
    ordered = sorted(batch_keys)
    for start in range(0, len(ordered), _CHUNK):
        for batch, key in session.execute(
            select(LeadBatchMember.batch_key, LeadBatchMember.partition_key).where(
                LeadBatchMember.batch_key.in_(ordered[start : start + _CHUNK])
            )
        ):
            members[batch].add(key)
    return members

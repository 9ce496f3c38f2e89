"""Which leads belong to a person, found from their address without storing it anywhere.

The pipeline hashes the normalised address (`lead_assets`, `form_polling`); an operator may
type it differently, so every plausible hash is tried, then the plain columns that still hold
it (`leads.email`, the raw submission payload, which also catches submissions whose address
failed validation and so never got a hash).
"""

from __future__ import annotations

import contextlib
import json

from sqlalchemy.orm import Session

from salesagent_dagster.domain.email_address import (
    InvalidEmailAddress,
    email_fingerprint,
    parse_email_address,
)
from salesagent_dagster.store.person_rows import partition_keys_matching


def address_hashes(address: str, salt: str) -> list[str]:
    """The hash the pipeline stored, first; then the hash of the text as typed."""
    hashes = []
    with contextlib.suppress(InvalidEmailAddress):
        hashes.append(email_fingerprint(parse_email_address(address).address, salt))
    hashes.append(email_fingerprint(address, salt))
    return list(dict.fromkeys(hashes))


def address_spellings(address: str) -> list[str]:
    """Lower-cased forms the address takes in stored text: plain, and JSON-escaped."""
    plain = address.strip().lower()
    return list(dict.fromkeys([plain, json.dumps(plain)[1:-1]]))


def partition_keys_of(session: Session, address: str, hashes: list[str]) -> list[str]:
    """The person's leads: by any of `hashes`, and by the plain columns that hold the address."""
    return partition_keys_matching(session, hashes, address_spellings(address), address)

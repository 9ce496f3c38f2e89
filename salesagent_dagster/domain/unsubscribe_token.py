"""The signature on a lead's opt-out link: made and checked here only, so the link in the
email (`OutreachSettings.unsubscribe_link`) and the edge that honours it cannot drift.

HMAC-SHA256 of the lead's opaque partition key under the hash salt, hex, first 32 chars
(128 bits): the link names the lead, never the address, and nobody without the salt can
make one for another lead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import Enum

SIGNATURE_LENGTH = 32
# Partition keys are `sub_` + hex today; accept any short printable token so older or
# future key shapes still verify, and refuse anything that cannot be a key at all.
_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,80}")
_SIGNATURE = re.compile(rf"[0-9a-f]{{{SIGNATURE_LENGTH}}}")


class TokenCheck(Enum):
    VALID = "valid"
    MALFORMED = "malformed"  # missing, not hex, wrong length, not a key: a broken link
    FORGED = "forged"  # well-formed but not ours for this key: someone guessed or swapped


def sign(partition_key: str, salt: str) -> str:
    digest = hmac.new(salt.encode(), partition_key.encode(), hashlib.sha256).hexdigest()
    return digest[:SIGNATURE_LENGTH]


def check(partition_key: str | None, signature: str | None, salt: str) -> TokenCheck:
    """Whether `signature` is this key's, compared in constant time."""
    if not partition_key or not signature:
        return TokenCheck.MALFORMED
    if not _KEY.fullmatch(partition_key) or not _SIGNATURE.fullmatch(signature.lower()):
        return TokenCheck.MALFORMED
    if hmac.compare_digest(sign(partition_key, salt), signature.lower()):
        return TokenCheck.VALID
    return TokenCheck.FORGED

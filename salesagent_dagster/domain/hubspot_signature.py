"""HubSpot's request signature v3, checked the way HubSpot's docs define it.

`X-HubSpot-Signature-v3` is base64(HMAC-SHA256(client secret, method + URI + body +
`X-HubSpot-Request-Timestamp`)), the URI as HubSpot called it with URL-encoded characters
decoded. The hash is the official client's (`hubspot.utils.signature.Signature`); the
comparison is constant-time, and a timestamp more than five minutes from now, either way,
is refused: a captured request cannot be replayed later, nor one stamped ahead of time.
"""

from __future__ import annotations

import hmac
import time
from enum import Enum
from urllib.parse import unquote

from hubspot.utils.signature import Signature

MAX_SKEW_MS = 5 * 60 * 1000


class SignatureCheck(Enum):
    VALID = "valid"
    MISSING = "missing"
    STALE = "stale"
    FORGED = "forged"


def check_signature_v3(
    *,
    client_secret: str,
    method: str,
    uri: str,
    body: str,
    timestamp: str | None,
    signature: str | None,
    now_ms: int | None = None,
) -> SignatureCheck:
    if not signature or not timestamp:
        return SignatureCheck.MISSING
    if not timestamp.isdigit():
        return SignatureCheck.STALE
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if abs(now_ms - int(timestamp)) > MAX_SKEW_MS:
        return SignatureCheck.STALE
    expected = sign_v3(client_secret, method, uri, body, timestamp)
    if hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return SignatureCheck.VALID
    return SignatureCheck.FORGED


def sign_v3(client_secret: str, method: str, uri: str, body: str, timestamp: str) -> str:
    """The header value HubSpot would send (the emulator's webhook and tests sign with it)."""
    return Signature.get_signature(
        client_secret,
        body,
        signature_version="v3",
        http_uri=unquote(uri),
        http_method=method.upper(),
        timestamp=timestamp,
    )

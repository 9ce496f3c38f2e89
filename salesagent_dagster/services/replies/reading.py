"""An incoming message's bytes as the few facts the listener needs, read without trusting
them: nothing here raises on malformed MIME, odd charsets or broken headers (DESIGN I-9)."""

from __future__ import annotations

import contextlib
import email
import re
from dataclasses import dataclass
from email import errors, policy
from email.message import EmailMessage
from email.utils import parseaddr

from salesagent_dagster.domain.email_address import (
    InvalidEmailAddress,
    email_fingerprint,
    parse_email_address,
)
from salesagent_dagster.domain.replies.message_text import body_text, header

# Bigger than this is recorded as a "large message": still classified (the classifier reads
# the top of the body only), never stored whole (store.inbound_mail caps the text).
LARGE_MESSAGE_BYTES = 1024 * 1024
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
# Defects that mean the MIME structure itself is broken, not just an untidy header.
_STRUCTURAL_DEFECTS = (
    errors.StartBoundaryNotFoundDefect,
    errors.CloseBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
    errors.NoBoundaryInMultipartDefect,
    errors.MissingHeaderBodySeparatorDefect,
    errors.FirstHeaderLineIsContinuationDefect,
    errors.MisplacedEnvelopeHeaderDefect,
)


@dataclass(frozen=True)
class IncomingMail:
    message: EmailMessage
    from_address: str  # lower-cased; '' when the From header has none we can read
    rfc822_message_id: str
    referenced_ids: tuple[str, ...]  # In-Reply-To, then References
    subject: str
    body_text: str
    size: int
    malformed: bool

    @property
    def is_large(self) -> bool:
        return self.size > LARGE_MESSAGE_BYTES


def read_incoming(raw: bytes) -> IncomingMail:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
    named = header(message, "In-Reply-To") + " " + header(message, "References")
    body = ""
    with contextlib.suppress(Exception):  # unreadable text is the classifier's to judge
        body = body_text(message) or ""
    return IncomingMail(
        message=message,
        from_address=parseaddr(header(message, "From"))[1].strip().lower(),
        rfc822_message_id=header(message, "Message-ID"),
        referenced_ids=tuple(dict.fromkeys(_MESSAGE_ID.findall(named))),
        subject=header(message, "Subject"),
        body_text=body,
        size=len(raw),
        malformed=_is_malformed(message),
    )


def address_hash(address: str, salt: str) -> str | None:
    """The salted hash the pipeline stores for this address (normalised as intake does)."""
    if not address:
        return None
    try:
        return email_fingerprint(parse_email_address(address).address, salt)
    except InvalidEmailAddress:
        return email_fingerprint(address, salt)


def _is_malformed(message: EmailMessage) -> bool:
    try:
        parts = list(message.walk())
    except Exception:
        return True
    return any(isinstance(d, _STRUCTURAL_DEFECTS) for part in parts for d in part.defects)

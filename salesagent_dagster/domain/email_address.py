"""Email address validation and normalisation.

Addresses arrive from a public web form, so anything may be in them. We accept the
practical subset of RFC 5321/5322 that real mailboxes use and reject the rest with a
reason a person can act on; we never try to "repair" an address into someone else's.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

# Local part: dot-atom of the RFC 5322 atext set; no quoted strings (no real lead uses them).
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

ROLE_LOCAL_PARTS = frozenset(
    {
        "abuse", "admin", "billing", "contact", "help", "hello", "hostmaster", "info",
        "marketing", "noreply", "no-reply", "office", "postmaster", "root", "sales",
        "security", "support", "team", "webmaster",
    }
)  # fmt: skip

FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com", "gmail.com", "googlemail.com", "gmx.com", "gmx.de", "hotmail.com",
        "icloud.com", "live.com", "mail.com", "me.com", "msn.com", "outlook.com",
        "proton.me", "protonmail.com", "web.de", "yahoo.com", "yandex.com", "zoho.com",
    }
)  # fmt: skip

DISPOSABLE_DOMAINS = frozenset(
    {
        "10minutemail.com", "discard.email", "guerrillamail.com", "mailinator.com",
        "sharklasers.com", "temp-mail.org", "throwawaymail.com", "trashmail.com",
        "yopmail.com",
    }
)  # fmt: skip


class InvalidEmailAddress(ValueError):
    """The address cannot receive mail; `reason` says why in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EmailAddress:
    """A validated address: local part as typed, domain lower-cased and IDNA-encoded."""

    local_part: str
    domain: str

    @property
    def address(self) -> str:
        return f"{self.local_part}@{self.domain}"

    @property
    def is_role_account(self) -> bool:
        return self.local_part.lower().split("+", 1)[0] in ROLE_LOCAL_PARTS

    @property
    def is_free_mail(self) -> bool:
        return self.domain in FREE_MAIL_DOMAINS

    @property
    def is_disposable(self) -> bool:
        return self.domain in DISPOSABLE_DOMAINS


def parse_email_address(raw: str | None) -> EmailAddress:
    """Validate and normalise `raw`, raising InvalidEmailAddress with a reason."""
    if raw is None or not raw.strip():
        raise InvalidEmailAddress("email is missing")
    if any(ch in raw for ch in "\r\n\0"):
        raise InvalidEmailAddress("email contains a line break or NUL (header injection)")
    candidate = unicodedata.normalize("NFC", raw.strip())
    if len(candidate) > 254:
        raise InvalidEmailAddress("email is longer than 254 characters")
    if candidate.count("@") != 1:
        raise InvalidEmailAddress("email must contain exactly one @")
    local_part, domain = candidate.rsplit("@", 1)
    if not local_part or len(local_part) > 64 or not _LOCAL_PART.match(local_part):
        raise InvalidEmailAddress("email local part has characters mail servers refuse")
    return EmailAddress(local_part=local_part, domain=_normalise_domain(domain))


def _normalise_domain(domain: str) -> str:
    domain = domain.rstrip(".").lower()
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidEmailAddress("email domain is not a valid internationalised name") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidEmailAddress("email domain is not a valid host name")
    if labels[-1].isdigit():
        raise InvalidEmailAddress("email domain is an IP address, not a mail domain")
    return ascii_domain


def email_fingerprint(address: str, salt: str) -> str:
    """Salted SHA-256 of a normalised address: how suppression lists and analytics refer to a
    person without holding the address."""
    normalised = address.strip().lower()
    return hashlib.sha256(f"{salt}:{normalised}".encode()).hexdigest()

"""Email address validation and normalisation.

Addresses arrive from a public web form, so anything may be in them. We accept the
practical subset of RFC 5321/5322 that real mailboxes use and reject the rest with a
reason a person can act on; we never try to "repair" an address into someone else's.
The syntax and the IDNA encoding are email-validator's (no DNS: deliverability is Gmail's
to find out); what stays here is the reason we record and our own lists of role,
free-mail and disposable addresses.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from email_validator.syntax import validate_email_domain_name, validate_email_local_part

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
    # email-validator refuses these too, but a line break in an address is an attack on our
    # headers, and the record should say so.
    if any(ch in raw for ch in "\r\n\0"):
        raise InvalidEmailAddress("email contains a line break or NUL (header injection)")
    candidate = unicodedata.normalize("NFC", raw.strip())
    if len(candidate) > 254:
        raise InvalidEmailAddress("email is longer than 254 characters")
    if candidate.count("@") != 1:
        raise InvalidEmailAddress("email must contain exactly one @")
    local_part, domain = candidate.rsplit("@", 1)
    domain = domain.rstrip(".")  # the DNS root's dot: "example.com." is example.com
    try:
        validated = validate_email(
            f"{local_part}@{domain}",
            check_deliverability=False,
            allow_smtputf8=False,  # no real lead's mailbox needs a non-ASCII local part
            strict=True,  # the RFC 5321 limit of 64 characters before the @
            # RFC 2606's `.test` names stay usable: staging forms, emulators and acceptance
            # suites write with them (they were accepted before this library checked syntax).
            test_environment=True,
        )
    except EmailNotValidError as exc:
        raise InvalidEmailAddress(_reason(local_part, domain)) from exc
    # The local part as typed: email-validator lower-cases role names ("Postmaster"), and
    # the address we write to is the one the person gave.
    return EmailAddress(local_part=local_part, domain=validated.ascii_domain)


def _reason(local_part: str, domain: str) -> str:
    """Our words for what email-validator refused: its messages are for developers, and
    which part was wrong is what a person can act on."""
    try:
        validate_email_local_part(local_part, allow_smtputf8=False, strict=True)
    except EmailNotValidError:
        return "email local part has characters mail servers refuse"
    if _is_dotted_ip_address(domain):
        return "email domain is an IP address, not a mail domain"
    if domain.isascii():
        return "email domain is not a valid host name"
    try:
        validate_email_domain_name(domain)
    except EmailNotValidError:
        return "email domain is not a valid internationalised name"
    return "email is longer than 254 characters"


def _is_dotted_ip_address(domain: str) -> bool:
    """A well-formed host name but for its all-digit last label, as 10.0.0.1 is."""
    try:
        validate_email_domain_name(domain, globally_deliverable=False)
    except EmailNotValidError:
        return False
    return "." in domain and domain.rsplit(".", 1)[-1].isdigit()


def email_fingerprint(address: str, salt: str) -> str:
    """Salted SHA-256 of a normalised address: how suppression lists and analytics refer to a
    person without holding the address."""
    normalised = address.strip().lower()
    return hashlib.sha256(f"{salt}:{normalised}".encode()).hexdigest()

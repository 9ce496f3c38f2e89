"""Personal and secret data that must not go out in an email.

Text is NFKC-normalised first so full-width or other look-alike digits are caught too;
each candidate is validated (SSN ranges, Luhn, IBAN mod-97) so prices and phone numbers do
not trip the rule. The checksums and number rules are python-stdnum's; what stays here is
finding the candidates in prose and the card issuer prefixes (stdnum has Luhn, not issuers).
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import iban, luhn
from stdnum.us import ssn

from salesagent_dagster.domain.safety.findings import Finding, locate

# Digits glued to letters are part of a token (a hex signature, an id in a URL), not a number.
_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
_SSN_CONTEXT = re.compile(r"\b(?:ssn|social security(?: number)?)\D{0,20}(\d{9})\b", re.I)
# A sentence's comma or full stop may follow a card number; a decimal separator may not.
_CARD = re.compile(r"(?<![\w$€£/=&?-])(?<!\d[.,])(?:\d[ -]?){12,18}\d(?![\w]|[.,]\d)")
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})\b")
_SECRETS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Stripe secret key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{16,}\b")),
    ("API secret key", re.compile(r"\bsk-[A-Za-z0-9_-]{20,}\b")),
    (
        "credential assignment",
        re.compile(r"\b(?:api[_-]?key|secret|password|passwd|token)\s*[:=]\s*\S{8,}", re.I),
    ),
)
# Any script's decimal digit; NFKC leaves Arabic-Indic, Devanagari and others as they are.
_DIGIT = re.compile(r"\d")


def find_pii(text: str, part: str = "body") -> list[Finding]:
    """Every SSN, payment card, IBAN or secret in `text`, by kind and location."""
    normalised = _ascii_digits(unicodedata.normalize("NFKC", text))
    findings: list[Finding] = []
    for match in _SSN.finditer(normalised):
        if is_valid_ssn(match.group(1), match.group(3), match.group(4)):
            findings.append(
                Finding("pii", "US social security number", locate(text, match.start(), part))
            )
    for match in _SSN_CONTEXT.finditer(normalised):
        digits = match.group(1)
        if is_valid_ssn(digits[:3], digits[3:5], digits[5:]):
            findings.append(
                Finding("pii", "US social security number", locate(text, match.start(1), part))
            )
    for match in _CARD.finditer(normalised):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and looks_like_card_number(digits):
            findings.append(
                Finding("pii", "payment card number", locate(text, match.start(), part))
            )
    for match in _IBAN.finditer(normalised):
        if is_valid_iban(match.group(1)):
            findings.append(Finding("pii", "IBAN", locate(text, match.start(), part)))
    for kind, pattern in _SECRETS:
        for match in pattern.finditer(normalised):
            findings.append(Finding("pii", kind, locate(text, match.start(), part)))
    return findings


def _ascii_digits(text: str) -> str:
    """Every decimal digit as its ASCII digit, one character for one, so offsets still hold:
    stdnum reads only 0-9, and a number typed in another script is the same number."""
    return _DIGIT.sub(lambda match: _ascii_digit(match.group(0)), text)


def _ascii_digit(char: str) -> str:
    return char if char.isascii() else str(unicodedata.decimal(char))


def is_valid_ssn(area: str, group: str, serial: str) -> bool:
    """A number the SSA could have issued: never area 000, 666 or 900-999, group 00 or serial
    0000, nor one of the three that advertising made public (stdnum's blacklist)."""
    return ssn.is_valid(f"{area}-{group}-{serial}")


def luhn_valid(digits: str) -> bool:
    return luhn.is_valid(digits)


def looks_like_card_number(digits: str) -> bool:
    """Luhn-valid with an issuer prefix: Visa, Mastercard, Amex, Discover, JCB, Diners."""
    if not luhn_valid(digits):
        return False
    prefix2, prefix4 = int(digits[:2]), int(digits[:4])
    return (
        digits[0] == "4"
        or 51 <= prefix2 <= 55
        or 2221 <= prefix4 <= 2720
        or prefix2 in (34, 37, 36, 38, 65)
        or prefix4 == 6011
        or 3528 <= prefix4 <= 3589
        or 300 <= int(digits[:3]) <= 305
    )


def is_valid_iban(candidate: str) -> bool:
    """ISO 13616: mod-97 check digits and the country's registered length and layout.
    Countries' own national check digits are not checked: the rule leans to finding an
    account number rather than to proving it."""
    return iban.is_valid(candidate, check_country=False)

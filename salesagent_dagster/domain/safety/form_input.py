"""The form is untrusted input (DESIGN I-11): what a submitter typed may shape an email only
after it has been cleaned to what a name can be.

Anyone can type anything into a public form, including someone else's address. Left alone,
that turns the rep's mailbox into a relay: the stranger's text, links and headers go out
under the rep's name to whatever address was typed. What follows from the rule:

- A first or last name, a company and a job title are used only when they have the shape of
  one (letters, marks, a little punctuation, a bounded length: see `clean_person_name`,
  `clean_company_name`, `clean_job_title`). A field that does not fit is not used at all: it
  is never trimmed or repaired into a name, because a repaired attack is still the attacker's
  text. The greeting falls back to a neutral one and the subject drops the company.
- A field that carries a line break or other control character, `Header:`-style text, an
  email address, a link (a scheme, `www.` or a bare domain) or markup (tags, entities,
  `javascript:`, `on...=` handlers) is an attempt, not a typo: besides not being used, it
  raises the soft finding `suspicious_input`, so the lead goes to a person. The rules engine
  never auto-approves a lead with a soft finding and never rejects one; an operator may
  override the finding, with a reason, like any other soft rule.
- The lead's own message is never pasted into an email, not even a sentence of it: the writer
  is told only that there was one. A message carrying a link, markup, an address or mail
  header lines raises `suspicious_input` as well, so a submission with links is never sent
  unattended.
- Subjects carry only cleaned text: the company as cleaned here, or the subject of the
  person's own earlier mail when it is free of control characters, links, addresses and
  markup (`clean_subject_line`).
- So what reaches a recipient, and the `draft` preview in the Dagster instance, holds from the
  submitter nothing beyond a cleaned name, company and job title.

Detection runs on an NFKC-normalised copy with invisible format characters removed, so
full-width look-alikes of `<script>` and a zero-width space inside `evil.test` are caught. A
finding names the field and the kind of problem, never the value (findings reach check
metadata, which is no place for what a stranger typed: DESIGN I-6).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from salesagent_dagster.domain.safety.findings import Finding

SUSPICIOUS_INPUT = "suspicious_input"

CONTROL = "a line break or control character"
HEADER = "header-like text"
ADDRESS = "an email address"
LINK = "a link"
MARKUP = "markup or a script"

# Line breaks, C0/C1 controls (tab aside: copy-paste brings it) and bidi overrides, which
# can reorder what a reader sees.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# `Bcc:`, `X-Injected:`, `javascript:`: a word glued to a colon has no place in a name.
_HEADER_LIKE = re.compile(r"[^\W\d_][\w-]*\s*:")
# In free text a colon is ordinary; only a line that starts like a mail header counts.
_HEADER_LINE = re.compile(
    r"^[ \t]*(?:bcc|cc|to|from|sender|subject|reply-to|return-path|content-[\w-]+|"
    r"mime-version|x-[\w-]+)[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)
_ADDRESS = re.compile(r"[^\s@<>]@[^\s@<>]")
_LINK = re.compile(
    r"[a-z][a-z0-9+.-]*://"  # any scheme with an authority
    r"|\b(?:mailto|tel|sms|callto|news|data|file|ftp)\s*:"  # schemes without one
    r"|\bwww\d{0,3}\."
    # A bare domain (`evil.test`, `münchen.de`): mail clients turn these into links. `Ph.D.`
    # and `J.R.R.` are not caught (single-letter labels); `J.Smith` is, and goes to review.
    r"|(?<![\w@.-])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-])",
    re.IGNORECASE,
)
_MARKUP = re.compile(
    r"<\s*/?\s*[a-z!?]"  # a tag, a comment, a doctype
    r"|&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);"  # an entity: encoded markup
    r"|\bon[a-z]+\s*=",  # an event handler attribute
    re.IGNORECASE,
)
# Scripts hide behind whitespace and case: `Java\tScript :` still runs in some clients.
_SCRIPT_SCHEME = re.compile(r"(?:java|vb|live)script:|data:text/html", re.IGNORECASE)


@dataclass(frozen=True)
class ScreenedField:
    """A form field as the writer may use it: `value` is "" when the field is not usable."""

    value: str
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class _NameShape:
    max_chars: int
    max_words: int
    digits: bool  # company names and titles carry numbers: 3M, 7-Eleven, Engineer II
    extra: frozenset[str] = frozenset()


# What a name can be. Letters and combining marks by Unicode category (stdlib `re` has no
# \p{L}; `unicodedata` is the standard's own table, so José, Zoë, Nguyễn, 李雷, ユーリ and
# Devanagari or Thai names with their vowel marks all pass), plus the punctuation names use:
# space, apostrophes (O'Brien, U+2019), hyphens (Jean-Luc), dots (St. John, Jr.) and the middle
# dots of Catalan and of CJK transliterations (l·l, ・). The zero-width (non-)joiners belong
# to Persian and Indic spelling.
_NAME_PUNCTUATION = frozenset(" '\u2019-\u2010.\u00b7\u30fb\u200c\u200d")
PERSON_NAME = _NameShape(max_chars=50, max_words=5, digits=False)
# Company names also need digits (3M, 7-Eleven), '&' (AT&T, Procter & Gamble) and commas
# (Acme, Inc.; Smith, Jones & Co.); nothing in those is a header, a link or markup.
# Brackets, '!', '*', '+' and '/' are left out: rare in names, common in spam and markup.
COMPANY_NAME = _NameShape(max_chars=100, max_words=10, digits=True, extra=frozenset("&,"))
# Job titles as companies, plus '/' (Sales / Marketing Lead), which is no link on its own.
JOB_TITLE = _NameShape(max_chars=100, max_words=12, digits=True, extra=frozenset("&,/"))


def clean_person_name(raw: str, field_label: str = "first name") -> ScreenedField:
    """A first or last name, or "" (and a `suspicious_input` finding when it was an attempt)."""
    return _screen_name(raw, PERSON_NAME, field_label)


def clean_company_name(raw: str, field_label: str = "company") -> ScreenedField:
    """A company name, or "" (and a `suspicious_input` finding when it was an attempt)."""
    return _screen_name(raw, COMPANY_NAME, field_label)


def clean_job_title(raw: str, field_label: str = "job title") -> ScreenedField:
    """A job title, or "" (and a `suspicious_input` finding when it was an attempt)."""
    return _screen_name(raw, JOB_TITLE, field_label)


def screen_message(raw: str, field_label: str = "message") -> tuple[Finding, ...]:
    """Findings for a free-text message: links, addresses, markup, mail header lines.

    The message is never quoted (see the module docstring), so line breaks and colons in it
    are ordinary; these findings only keep a submission that carries links from going out
    unattended."""
    text = _comparable(raw)
    kinds = [kind for kind, found in _free_text_signals(text).items() if found]
    if _HEADER_LINE.search(text):
        kinds.append(HEADER)
    return tuple(Finding(SUSPICIOUS_INPUT, kind, f"form field {field_label}") for kind in kinds)


def clean_subject_line(subject: str, max_chars: int = 200) -> str:
    """`subject` when it may head our email, else "".

    Used for the subject of the person's own earlier mail, which we answer in its thread: a
    colon is ordinary there ('Re: ...'), but a line break, a link, an address or markup is
    not, and anyone can put a stranger's address in a From line."""
    if not subject or len(subject) > max_chars or _CONTROL.search(subject):
        return ""
    if any(_free_text_signals(_comparable(subject)).values()):
        return ""
    return subject.strip()


def recipient_display_name(first_name: str, last_name: str) -> str:
    """The To header's display name: the cleaned names, or "" (the address alone)."""
    first = clean_person_name(first_name).value
    last = clean_person_name(last_name, "last name").value
    return f"{first} {last}".strip()


def _screen_name(raw: str, shape: _NameShape, field_label: str) -> ScreenedField:
    if not raw or not raw.strip():
        return ScreenedField("")
    text = _comparable(raw)
    kinds = [CONTROL] if _CONTROL.search(raw) else []
    if _HEADER_LIKE.search(text):
        kinds.append(HEADER)
    kinds += [kind for kind, found in _free_text_signals(text).items() if found]
    if kinds:
        where = f"form field {field_label}"
        findings = tuple(Finding(SUSPICIOUS_INPUT, kind, where) for kind in dict.fromkeys(kinds))
        return ScreenedField("", findings)
    value = " ".join(unicodedata.normalize("NFKC", raw).split())
    return ScreenedField(value if _fits(value, shape) else "")


def _free_text_signals(text: str) -> dict[str, bool]:
    """Which kinds of relay payload `text` (already made comparable) carries."""
    squeezed = re.sub(r"\s+", "", text)
    return {
        ADDRESS: bool(_ADDRESS.search(text)),
        LINK: bool(_LINK.search(text)),
        MARKUP: bool(
            _MARKUP.search(text)
            or _MARKUP.search(html.unescape(text))
            or _SCRIPT_SCHEME.search(squeezed)
        ),
    }


def _comparable(raw: str) -> str:
    """NFKC (full-width and other look-alikes become plain), format characters dropped."""
    normalised = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in normalised if unicodedata.category(ch) != "Cf")


def _fits(value: str, shape: _NameShape) -> bool:
    """Whether a whitespace-folded value has the shape of a name of this kind."""
    if not value or len(value) > shape.max_chars or len(value.split()) > shape.max_words:
        return False
    first = value[0]
    if not (_is_letter(first) or (shape.digits and unicodedata.category(first) == "Nd")):
        return False
    if not any(_is_letter(ch) for ch in value):
        return False
    previous = ""
    for ch in value:
        category = unicodedata.category(ch)
        if category[0] == "M" or _is_letter(ch) or (shape.digits and category == "Nd"):
            previous = ""
            continue
        if ch not in _NAME_PUNCTUATION and ch not in shape.extra:
            return False
        if ch == previous and ch != " ":
            return False  # '--', "''", '..': decoration, not a name
        previous = ch
    return True


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "L"

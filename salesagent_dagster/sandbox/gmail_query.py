"""Gmail's search language, the part salesagent and operators use: `rfc822msgid:`, `from:`,
`to:`, `subject:`, `newer_than:`/`older_than:`, `after:`/`before:`, `in:`, `is:`, `label:`,
negation with `-`, quoted phrases and `{a b}` OR groups; other words match subject or body.
Terms are ANDed, like Gmail's.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

_UNITS = {"h": 3600, "d": 86400, "m": 30 * 86400, "y": 365 * 86400}
_LOCATIONS = {"sent": "SENT", "inbox": "INBOX", "drafts": "DRAFT", "spam": "SPAM", "trash": "TRASH"}


class SearchableMessage(Protocol):
    label_ids: list[str]
    internal_date_ms: int

    def header(self, name: str) -> str: ...

    @property
    def text(self) -> str: ...


Predicate = Callable[[SearchableMessage], bool]


@dataclass(frozen=True)
class ParsedQuery:
    predicates: tuple[Predicate, ...]
    mentions_location: bool  # in:/label: given, so trash/spam rules do not apply implicitly

    def matches(self, message: SearchableMessage) -> bool:
        return all(predicate(message) for predicate in self.predicates)


def parse_query(query: str, now: float | None = None) -> ParsedQuery:
    now = time.time() if now is None else now
    predicates: list[Predicate] = []
    mentions_location = False
    for token in _tokens(query):
        negate = token.startswith("-") and len(token) > 1
        body = token[1:] if negate else token
        if body.startswith("{") and body.endswith("}"):
            alternatives = [_term(part, now) for part in _tokens(body[1:-1])]
            predicate = _any_of([p for p, _ in alternatives])
        else:
            predicate, is_location = _term(body, now)
            mentions_location = mentions_location or is_location
        predicates.append(_negated(predicate) if negate else predicate)
    return ParsedQuery(tuple(predicates), mentions_location)


def _tokens(query: str) -> list[str]:
    query = re.sub(r"\{([^}]*)\}", lambda m: "{" + m.group(1).replace(" ", "\x00") + "}", query)
    lexer = shlex.shlex(query, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return [token.replace("\x00", " ") for token in lexer]


def _term(token: str, now: float) -> tuple[Predicate, bool]:
    if ":" not in token:
        return _contains_text(token), False
    operator, _, value = token.partition(":")
    operator = operator.lower()
    if operator == "rfc822msgid":
        wanted = value.strip("<>").lower()
        return (lambda m: m.header("Message-ID").strip().strip("<>").lower() == wanted), False
    if operator in ("from", "to", "cc", "bcc"):
        needle = value.lower()
        header = operator.capitalize()
        return (lambda m: needle in m.header(header).lower()), False
    if operator == "subject":
        needle = value.lower()
        return (lambda m: needle in m.header("Subject").lower()), False
    if operator in ("newer_than", "older_than"):
        seconds = _duration(value)
        cutoff_ms = (now - seconds) * 1000
        if operator == "newer_than":
            return (lambda m: m.internal_date_ms >= cutoff_ms), False
        return (lambda m: m.internal_date_ms < cutoff_ms), False
    if operator in ("after", "before"):
        boundary_ms = _date_ms(value)
        if operator == "after":
            return (lambda m: m.internal_date_ms >= boundary_ms), False
        return (lambda m: m.internal_date_ms < boundary_ms), False
    if operator == "in":
        if value.lower() == "anywhere":
            return (lambda m: True), True
        label = _LOCATIONS.get(value.lower(), value.upper())
        return (lambda m: label in m.label_ids), True
    if operator == "label":
        label = value.upper()
        return (lambda m: label in m.label_ids), True
    if operator == "is":
        state = value.lower()
        if state == "unread":
            return (lambda m: "UNREAD" in m.label_ids), False
        if state == "read":
            return (lambda m: "UNREAD" not in m.label_ids), False
        if state == "starred":
            return (lambda m: "STARRED" in m.label_ids), False
        return (lambda m: value.upper() in m.label_ids), False
    return _contains_text(token), False


def _contains_text(word: str) -> Predicate:
    needle = word.lower()
    return lambda m: needle in m.header("Subject").lower() or needle in m.text.lower()


def _duration(value: str) -> float:
    match = re.fullmatch(r"(\d+)([hdmy])", value.lower())
    if not match:
        raise ValueError(f"invalid duration {value!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _date_ms(value: str) -> float:
    if value.isdigit():
        return int(value) * 1000
    moment = datetime.strptime(value.replace("-", "/"), "%Y/%m/%d").replace(tzinfo=UTC)
    return moment.timestamp() * 1000


def _negated(predicate: Predicate) -> Predicate:
    return lambda m: not predicate(m)


def _any_of(predicates: list[Predicate]) -> Predicate:
    return lambda m: any(p(m) for p in predicates)

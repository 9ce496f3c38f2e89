"""Gmail's search language (the `q` of messages.list, threads.list and drafts.list), the part
salesagent and its operators use.

Terms separated by spaces are ANDed; `a OR b` and `{a b}` are alternatives; `( ... )` groups;
`-term` negates. Operators: `rfc822msgid:`, `from:`, `to:` (any recipient), `cc:`, `bcc:`,
`subject:`, `newer_than:`/`older_than:` (`h`, `d`, `m`, `y`), `after:`/`before:` (dates as
YYYY/MM/DD or epoch seconds; UTC here), `in:`, `is:`, `label:`, `has:attachment`. An
operator's value may be a quoted phrase or a group: `subject:"demo request"`,
`subject:(demo pricing)`. Free words and unknown operators match whole words of the subject,
body, sender or recipients, as Gmail's full-text search does; so does an operator whose value
Gmail would not understand (`newer_than:soon`), rather than an error: Gmail never refuses a
query.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

_UNITS = {"h": 3600, "d": 86400, "m": 30 * 86400, "y": 365 * 86400}
_LOCATIONS = {
    "sent": "SENT",
    "inbox": "INBOX",
    "drafts": "DRAFT",
    "draft": "DRAFT",
    "spam": "SPAM",
    "trash": "TRASH",
    "starred": "STARRED",
    "important": "IMPORTANT",
    "chats": "CHAT",
    "snoozed": "SNOOZED",
}
_STATES = {
    "unread": ("UNREAD", True),
    "read": ("UNREAD", False),
    "starred": ("STARRED", True),
    "important": ("IMPORTANT", True),
    "snoozed": ("SNOOZED", True),
}
_OPERATORS = {
    "rfc822msgid",
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "newer_than",
    "older_than",
    "after",
    "before",
    "newer",
    "older",
    "in",
    "is",
    "label",
    "has",
}
_SPAM_OR_TRASH = {"SPAM", "TRASH"}


class SearchableMessage(Protocol):
    label_ids: list[str]
    internal_date_ms: int

    def header(self, name: str) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def has_attachment(self) -> bool: ...


Predicate = Callable[[SearchableMessage], bool]
Token = tuple[str, str]  # (kind, text): word | phrase | not | open | close


@dataclass(frozen=True)
class ParsedQuery:
    predicate: Predicate
    mentions_spam_or_trash: bool  # in:spam/trash/anywhere: those are searched without asking

    def matches(self, message: SearchableMessage) -> bool:
        return self.predicate(message)


def parse_query(query: str, now: float | None = None, me: str = "") -> ParsedQuery:
    """`me` is the mailbox's own address, for `from:me` / `to:me`."""
    parser = _Parser(_tokens(query), time.time() if now is None else now, me.lower())
    return ParsedQuery(_all_of(parser.sequence(None)), parser.mentions_spam_or_trash)


def _tokens(query: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(query):
        char = query[position]
        if char.isspace():
            position += 1
        elif char in "({":
            tokens.append(("open", char))
            position += 1
        elif char in ")}":
            tokens.append(("close", char))
            position += 1
        elif char == "-" and position + 1 < len(query) and not query[position + 1].isspace():
            tokens.append(("not", char))
            position += 1
        elif char == '"':
            end = query.find('"', position + 1)
            end = len(query) if end < 0 else end
            tokens.append(("phrase", query[position + 1 : end]))
            position = end + 1
        else:
            word = re.match(r'[^\s(){}"]+', query[position:])
            assert word is not None  # the branches above took every other first character
            tokens.append(("word", word.group(0)))
            position += len(word.group(0))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token], now: float, me: str) -> None:
        self.tokens, self.position, self.now, self.me = tokens, 0, now, me
        self.mentions_spam_or_trash = False
        self._negations = 0  # `-in:trash` does not ask for trash

    def _peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def sequence(self, closing: str | None) -> list[Predicate]:
        """Terms up to `closing` (or the end); `a OR b` binds tighter than the implicit AND."""
        terms: list[Predicate] = []
        while (token := self._peek()) is not None:
            if token[0] == "close":
                self.position += 1
                if closing is not None:
                    return terms
                continue  # a stray closing bracket: Gmail ignores it too
            if token in (("word", "AND"), ("word", "OR")) and not terms:
                self.position += 1  # nothing to combine with yet: ignored
            elif token == ("word", "AND"):
                self.position += 1
            elif token == ("word", "OR"):
                self.position += 1
                right = self.unary()
                if right is not None:
                    terms[-1] = _any_of([terms[-1], right])
            elif (term := self.unary()) is not None:
                terms.append(term)
        return terms

    def unary(self) -> Predicate | None:
        token = self._peek()
        if token is None:
            return None
        self.position += 1
        kind, text = token
        if kind == "not":
            self._negations += 1
            inner = self.unary()
            self._negations -= 1
            return None if inner is None else _negated(inner)
        if kind == "open":
            inner_terms = self.sequence(")" if text == "(" else "}")
            return _all_of(inner_terms) if text == "(" else _any_of(inner_terms)
        if kind == "phrase":
            return _full_text(text)
        return self.term(text) if kind == "word" else None

    def term(self, word: str) -> Predicate:
        operator, colon, value = word.partition(":")
        operator = operator.lower()
        if not colon or operator not in _OPERATORS:
            return _full_text(word)
        following = self._peek()
        if value == "" and following is not None and following[0] == "phrase":
            self.position += 1
            return self.operator(operator, following[1]) or _full_text(following[1])
        if value == "" and following is not None and following[0] == "open":
            self.position += 1
            closing = ")" if following[1] == "(" else "}"
            values = []
            while (token := self._peek()) is not None and token != ("close", closing):
                values.append(token[1])
                self.position += 1
            self.position += 1
            terms = [self.operator(operator, v) or _full_text(v) for v in values]
            return _all_of(terms) if closing == ")" else _any_of(terms)
        return self.operator(operator, value) or _full_text(word)

    def operator(self, operator: str, value: str) -> Predicate | None:
        """The predicate, or None when Gmail would not understand the value."""
        lowered = value.lower()
        if operator == "rfc822msgid":
            wanted = value.strip().strip("<>")
            return lambda m: m.header("Message-ID").strip().strip("<>") == wanted
        if operator in ("from", "to", "cc", "bcc"):
            needle = self.me if lowered == "me" and self.me else lowered
            names = ("To", "Cc", "Bcc") if operator == "to" else (operator.capitalize(),)
            return lambda m: any(needle in m.header(name).lower() for name in names)
        if operator == "subject":
            return _words_in(value, lambda m: m.header("Subject"))
        if operator in ("newer_than", "older_than"):
            match = re.fullmatch(r"(\d+)([hdmy])", lowered)
            if not match:
                return None
            cutoff_ms = (self.now - int(match.group(1)) * _UNITS[match.group(2)]) * 1000
            if operator == "newer_than":
                return lambda m: m.internal_date_ms >= cutoff_ms
            return lambda m: m.internal_date_ms < cutoff_ms
        if operator in ("after", "before", "newer", "older"):
            boundary_ms = _date_ms(value)
            if boundary_ms is None:
                return None
            if operator in ("after", "newer"):
                return lambda m: m.internal_date_ms >= boundary_ms
            return lambda m: m.internal_date_ms < boundary_ms
        if operator == "in":
            if lowered == "anywhere":
                self.mentions_spam_or_trash = self.mentions_spam_or_trash or not self._negations
                return lambda m: True
            return self._label(_LOCATIONS.get(lowered, value.upper()))
        if operator == "label":
            return self._label(value.upper().replace("/", "-"))
        if operator == "is":
            label, present = _STATES.get(lowered, (value.upper(), True))
            return lambda m: (label in m.label_ids) == present
        if operator == "has" and lowered == "attachment":
            return lambda m: m.has_attachment
        return None

    def _label(self, label: str) -> Predicate:
        if label in _SPAM_OR_TRASH and self._negations % 2 == 0:
            self.mentions_spam_or_trash = True
        return lambda m: label in m.label_ids


def _words_pattern(text: str) -> re.Pattern[str]:
    """Whole words, in order, whatever whitespace or punctuation separates them."""
    words = re.findall(r"\w+|[^\w\s]", text.lower())
    return re.compile(r"(?<!\w)" + r"\W*".join(re.escape(w) for w in words) + r"(?!\w)")


def _words_in(text: str, field: Callable[[SearchableMessage], str]) -> Predicate:
    pattern = _words_pattern(text)
    return lambda m: pattern.search(field(m).lower()) is not None


def _full_text(text: str) -> Predicate:
    if not re.search(r"\w", text):
        return lambda m: True  # punctuation alone: Gmail's full-text search ignores it
    return _words_in(
        text,
        lambda m: " \n".join(
            [m.header("Subject"), m.header("From"), m.header("To"), m.header("Cc"), m.text]
        ),
    )


def _date_ms(value: str) -> float | None:
    if value.isdigit():
        return int(value) * 1000
    for layout in ("%Y/%m/%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, layout).replace(tzinfo=UTC).timestamp() * 1000
        except ValueError:
            continue
    return None


def _negated(predicate: Predicate) -> Predicate:
    return lambda m: not predicate(m)


def _all_of(predicates: list[Predicate]) -> Predicate:
    return lambda m: all(p(m) for p in predicates)


def _any_of(predicates: list[Predicate]) -> Predicate:
    return lambda m: any(p(m) for p in predicates)

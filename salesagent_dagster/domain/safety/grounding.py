"""Facts in a draft that we do not hold: no invented numbers, names or job titles.

Everything a draft may state comes from the lead's form, the enrichment, the sender's
identity or the writer's own template words. A number, a capitalised name or a job title
outside that is reported (kind and place, never the value): it was made up, or an operator
typed something a colleague should confirm. The footer and links are not checked here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from salesagent_dagster.domain.draft_writer import DraftFacts, SenderIdentity, compose_draft
from salesagent_dagster.domain.safety.content import PLACEHOLDERS
from salesagent_dagster.domain.safety.findings import Finding, locate
from salesagent_dagster.domain.voice_profile import VoiceProfile

_URL_OR_ADDRESS = re.compile(r"https?://\S+|www\.\S+|\S+@\S+")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*\d%?|(?<![\w.])\d%?(?![\w])")
_CAPITALISED = re.compile(r"\b[A-Z][\w&'\u2019-]*[\w]|\b[A-Z]\b")
_TITLE = re.compile(
    r"\b(?:C[EFOTMR]O|VP|SVP|EVP|vice president|director|head of \w+|founder|co-founder|"
    r"president|chief \w+ officer|general manager|managing director)\b",
    re.IGNORECASE,
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"'\u201c(]\s*|[-\u2013]\s+)$")
_MAX_ACRONYM = 4  # IBM, SAP, AWS are names; GUARANTEED is shouting
_CALENDAR = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "i",
        "i'd",
        "i'm",
        "i'll",
        "i've",
        "ok",
    ]
)


def _words(text: str) -> set[str]:
    return {word.lower().strip("'\u2019") for word in re.findall(r"[\w&'\u2019-]+", text)}


def _numbers(text: str) -> set[str]:
    return {_canonical(match.group()) for match in _NUMBER.finditer(text)}


def _canonical(number: str) -> str:
    return number.replace(",", "").rstrip(".%")


@functools.lru_cache(maxsize=1)
def template_vocabulary() -> frozenset[str]:
    """Every word the writer's templates can produce by themselves, whatever the voice."""
    sender = SenderIdentity(name="", email="", postal_address="", booking_url="")
    words: set[str] = set()
    for brief in (True, False):
        for contractions in (True, False):
            for replied in (True, False):
                voice = VoiceProfile(
                    average_sentence_words=8 if brief else 16, uses_contractions=contractions
                )
                facts = DraftFacts("", "", "", "", True, replied)
                composed = compose_draft(facts, voice, sender, "")
                words |= _words(composed.subject) | _words(composed.body_text)
    return frozenset(words)


def find_unsupported_facts(text: str, known: Iterable[str], part: str = "body") -> list[Finding]:
    """Numbers, names and titles in `text` (footer excluded) that nothing in `known` says."""
    checked = unicodedata.normalize("NFKC", text).split("\n--\n", 1)[0]  # look-alikes too
    for masked in (_URL_OR_ADDRESS, PLACEHOLDERS):  # links and placeholders: other rules
        checked = masked.sub(lambda m: " " * len(m.group()), checked)
    known_text = " ".join(known)
    known_words = _words(known_text) | template_vocabulary() | _CALENDAR
    known_numbers = _numbers(known_text) | _numbers(" ".join(template_vocabulary()))
    known_lower = known_text.lower()
    findings: list[Finding] = []
    for match in _NUMBER.finditer(checked):
        if _canonical(match.group()) not in known_numbers:
            findings.append(
                Finding(
                    "unsupported_fact",
                    "a number not in the lead or enrichment data",
                    locate(text, match.start(), part),
                )
            )
    for match in _TITLE.finditer(checked):
        if match.group().lower() not in known_lower:
            findings.append(
                Finding(
                    "unsupported_fact",
                    "a job title not in the lead data",
                    locate(text, match.start(), part),
                )
            )
    titles = {m.start() for m in _TITLE.finditer(checked)}
    for match in _CAPITALISED.finditer(checked):
        word = match.group().lower().strip("'\u2019")
        if word in known_words or match.start() in titles:
            continue
        if match.group().isupper() and len(match.group()) > _MAX_ACRONYM:
            continue  # SHOUTED words are emphasis (the content policy judges the words)
        if _SENTENCE_START.search(checked[: match.start()]):
            continue  # any word may start a sentence
        findings.append(
            Finding(
                "unsupported_fact",
                "a name not in the lead or enrichment data",
                locate(text, match.start(), part),
            )
        )
    return findings

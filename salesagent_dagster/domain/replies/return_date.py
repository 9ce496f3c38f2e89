"""The date an out-of-office says its writer is back, in English, German, French or Spanish.

Hand-written on purpose: auto-replies state the date in a handful of shapes ("back on 12
January", "until 2026-12-15", "bis zum 15.01.2027", "de retour le 3 décembre", "hasta el 7 de
enero"), and the one invariant a general date parser does not give us is the year: a date
without one is the next such day on or after the day the reply arrived, never a past one.

Which date, when several are stated: the first that follows a "back/until/bis/jusqu'au/
hasta" word within a few words; else the latest one (an absence's end comes last). A weekday
alone ("back on Monday") is the next such weekday after the reply arrived.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from salesagent_dagster.domain.lazy_pattern import lazy_compile

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar jänner janvier janv enero ene",
        "february feb februar février fevrier févr fevr febrero",
        "march mar märz maerz mär mars marzo",
        "april apr avril avr abril abr",
        "may mai mayo",
        "june jun juni juin junio",
        "july jul juli juillet juil julio",
        "august aug août aout agosto ago",
        "september sep sept septembre septiembre setiembre",
        "october oct oktober okt octobre octubre",
        "november nov novembre noviembre",
        "december dec dezember dez décembre decembre déc dic diciembre",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "monday montag lundi lunes",
        "tuesday dienstag mardi martes",
        "wednesday mittwoch mercredi miércoles miercoles",
        "thursday donnerstag jeudi jueves",
        "friday freitag vendredi viernes",
        "saturday samstag sonnabend samedi sábado sabado",
        "sunday sonntag dimanche domingo",
    ]
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _number

_MONTH = "(?P<month>" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + ")"
_YEAR = r"(?P<year>\d{4})"
_DATE_SHAPES = [
    lazy_compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})\b"),
    lazy_compile(r"\b(?P<day>\d{1,2})\.(?P<mnum>\d{1,2})\.(?P<year>\d{4}|\d{2})?"),
    lazy_compile(r"\b(?P<day>\d{1,2})/(?P<mnum>\d{1,2})/(?P<year>\d{4}|\d{2})\b"),
    lazy_compile(
        r"\b(?P<day>\d{1,2})(?:st|nd|rd|th|er|\.|º)?\s*(?:of\s+|de\s+)?"
        + _MONTH
        + r"\b\.?(?:,?\s*(?:de\s+)?"
        + _YEAR
        + r")?",
        re.IGNORECASE,
    ),
    lazy_compile(
        r"\b" + _MONTH + r"\b\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s*" + _YEAR + r")?",
        re.IGNORECASE,
    ),
]
_RETURN_WORDS = lazy_compile(
    r"\b(?:(?:back|return|returning|until|till|through|after|zurück|wieder|bis|ab|retour"
    r"|partir|hasta|regreso|regresaré|volveré|vuelta|desde)\b|jusqu)",
    re.IGNORECASE,
)
_WEEKDAY = lazy_compile(
    r"\b(" + "|".join(sorted(map(re.escape, _WEEKDAYS), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
NEAR = 40  # characters between a return word and its date


def _date_of(match: re.Match[str], received_on: date) -> date | None:
    parts = match.groupdict()
    try:
        day = int(parts["day"])
        if parts.get("month"):
            month = _MONTHS[parts["month"].lower()]
        else:
            month = int(parts["mnum"])
            if "/" in match.group(0) and month > 12 >= day:  # US order, when it can only be that
                day, month = month, day
        year_text = parts.get("year")
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return date(year, month, day)
        stated = date(received_on.year, month, day)
    except (ValueError, KeyError):
        return None
    if stated < received_on:
        try:
            return stated.replace(year=received_on.year + 1)
        except ValueError:  # 29 February
            return None
    return stated


def _near_return_word(text: str, start: int) -> bool:
    return bool(_RETURN_WORDS.search(text, max(0, start - NEAR), start))


def return_date(text: str, received_on: date) -> date | None:
    """The stated return date in `text`, None when none is stated."""
    found: list[tuple[int, date, bool]] = []
    taken: list[range] = []
    for shape in _DATE_SHAPES:
        for match in shape.finditer(text):
            if any(match.start() in span for span in taken):
                continue
            stated = _date_of(match, received_on)
            if stated is None:
                continue
            taken.append(range(match.start(), match.end()))
            found.append((match.start(), stated, _near_return_word(text, match.start())))
    if found:
        after_word = sorted((pos, d) for pos, d, near in found if near)
        return after_word[0][1] if after_word else max(d for _, d, _ in found)
    for match in _WEEKDAY.finditer(text):
        if _near_return_word(text, match.start()):
            weekday = _WEEKDAYS[match.group(1).lower()]
            return received_on + timedelta(days=(weekday - received_on.weekday() - 1) % 7 + 1)
    return None

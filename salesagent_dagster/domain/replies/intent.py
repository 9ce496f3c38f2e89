"""What a human reply wants: a meeting, an answer, later, or nothing, in EN, DE, FR or ES.

Rules are tried in this order, because the later ones match words the earlier ones qualify:
"not right now" (not_now) before "not interested" (negative), both before "interested"
(positive); a reply that asks for a meeting is positive even with a question mark in it
("Tuesday at 3?"); any other question is a question. A reply none of them reads is a
question too: a human should look at it, and nothing about the person is changed.
"""

from __future__ import annotations

import re

from salesagent_dagster.domain.lazy_pattern import LazyPattern, lazy_compile
from salesagent_dagster.domain.replies.kinds import ReplyKind


def _any(*patterns: str) -> LazyPattern:
    return lazy_compile("|".join(patterns), re.IGNORECASE)


_NOT_NOW = _any(
    r"\bnot (?:right )?now\b|\bnot at the moment\b|\bnot at this (?:time|point|stage)\b",
    r"\bnot (?:a )?(?:good |the right )?(?:time|timing)\b|\bbad timing\b",
    r"\b(?:maybe|perhaps|possibly) (?:later|next (?:year|quarter|month)|in (?:a few|\d+|q\d))",
    r"\b(?:reach|circle|check|follow|ping|contact)(?: me| us)? "
    r"(?:back |out |up )?(?:again )?(?:in|next|after) "
    r"(?:q\d|\d+|a few|a couple|a month|the new year|the summer|january|february|march|april"
    r"|may|june|july|august|september|october|november|december|next|spring|autumn|fall)",
    r"\bnext (?:quarter|year|fiscal)\b.{0,40}\b(?:again|budget|revisit|touch base)",
    r"\b(?:revisit|reconnect|touch base)\b.{0,30}\b(?:later|next|in \w+)",
    r"\bno budget (?:this|until|right now)|\bbudget (?:is )?(?:frozen|freeze)",
    r"\btoo (?:early|soon)\b|\bdown the (?:road|line)\b|\blater this year\b",
    r"\b(?:locked|tied) (?:in|into) (?:a |our )?(?:contract|agreement)\b",
    # German
    r"\bderzeit nicht\b|\bmomentan nicht\b|\bim moment nicht\b|\baktuell nicht\b",
    r"\bzurzeit nicht\b|\bgerade nicht\b|\bnicht jetzt\b",
    r"\b(?:melden sie sich|kommen sie)\b.{0,30}\b(?:später|wieder|nochmal|noch einmal)",
    r"\bim (?:nächsten|kommenden) (?:quartal|jahr)\b|\bspäter (?:im jahr|nochmal|wieder)",
    # French
    r"\bpas (?:pour le moment|maintenant|pour l'instant|en ce moment|tout de suite)",
    r"\bplus tard\b|\b(?:le|au) (?:trimestre|semestre) prochain|\bl'année prochaine",
    r"\brecontactez[- ]moi\b|\breprenez contact\b",
    # Spanish
    r"\bahora (?:mismo )?no\b|\bno (?:es|sería) (?:un )?buen momento|\bpor ahora no\b",
    r"\ben este momento no\b|\bmás adelante\b|\bel próximo (?:trimestre|año)\b",
    r"\bel año que viene\b|\bvuelva a (?:contactar|escribir)(?:me|nos) (?:en|más)",
)
_NEGATIVE = _any(
    r"\bnot interested\b|\bno interest\b|\bno thanks?\b|\bno,? thank you\b",
    r"\bnot (?:a )?(?:good )?fit\b|\bnot relevant\b|\bnot for us\b|\bnot looking\b",
    r"\bnichts für uns\b|\bpas pour nous\b|\bno es para nosotros\b",
    r"\b(?:we|i) (?:don't|do not|won't|will not) need\b|\bno need\b|\bnot needed\b",
    r"\b(?:already|just) (?:use|using|have|signed|chose|went with|bought|picked)\b",
    r"\bhappy with (?:our|the current|what we)\b|\bwe(?:'ve| have) decided\b",
    r"\bpass(?:ing)? on this\b|\bwe(?:'ll| will) pass\b|\bnot going to move forward\b",
    r"\bdecline\b|\bnot pursue\b|\bwrong (?:person|company)\b",
    r"\b(?:went|go|going|gone) with (?:another|a different|a competing|an other) "
    r"(?:vendor|provider|solution|tool|platform|company)\b|\bchose (?:another|a competitor)\b",
    # German
    r"\bkein(?:e|en)? (?:interesse|bedarf)\b|\bnicht interessiert\b|\bbrauchen wir nicht\b",
    r"\bnein,? danke\b|\bbenötigen (?:wir|ich) nicht\b|\bhaben bereits\b|\bnutzen bereits\b",
    r"\bpasst nicht\b|\bkommt nicht in frage\b|\bkein thema für uns\b",
    # French
    r"\bpas intéress[ée]e?s?\b|\bnon,? merci\b|\baucun intérêt\b|\bpas besoin\b",
    r"\bpas pertinent\b|\butilisons déjà\b|\bavons déjà\b|\bne nous intéresse pas\b",
    # Spanish
    r"\bno (?:nos |me )?interesa\b|\bno estamos interesados\b|\bno estoy interesad[oa]\b",
    r"\bno,? gracias\b|\bno necesitamos\b|\bya (?:usamos|tenemos|trabajamos)\b",
)
_MEETING = _any(
    r"\b(?:let's|lets|happy to|glad to|love to|like to|keen to|want to|would like to)"
    r" (?:talk|chat|meet|connect|set up|schedule|book|see (?:a|the) demo|do (?:a|the) (?:call|demo))",
    r"\b(?:book|schedule|set up|arrange|grab) (?:a |some )?(?:time|call|meeting|demo|slot)",
    r"\b(?:works|work) for me\b|\bsounds (?:good|great|perfect)\b|\bcount me in\b",
    r"\bcalendar (?:invite|link)\b|\bsend (?:me |over )?(?:an? )?invite\b|\binvite me\b",
    r"\b(?:i'm|i am|we're|we are) (?:free|available)\b|\bhow about (?:monday|tuesday|"
    r"wednesday|thursday|friday|next week|tomorrow)",
    r"\b(?:monday|tuesday|wednesday|thursday|friday|tomorrow)\b.{0,25}"
    r"\b(?:\d{1,2}(?::\d\d)?\s?(?:am|pm)|at \d|works|is fine|morning|afternoon)",
    r"\byes,? (?:please|let's|i'd|we'd|interested|sure)\b|\blet's do it\b",
    r"\bcan we (?:meet|talk|schedule|chat|set up|do)\b|\bcould we (?:meet|talk|schedule|chat)\b",
    r"\b(?:walk|take) (?:me|us)\b.{0,30}\bthrough\b|\bshow (?:me|us) (?:how|the|a demo)\b",
    r"\bwhen (?:are|would) you (?:be )?(?:free|available)\b",
    # German
    r"\bgerne?\b.{0,40}\b(?:termin|gespräch|demo|telefonat|call|treffen)",
    r"\b(?:termin|gespräch|telefonat|demo)\b.{0,40}\b(?:gerne?|passt|vereinbaren|ausmachen)",
    r"\bpasst (?:mir|uns|gut|perfekt)\b|\b(?:montag|dienstag|mittwoch|donnerstag|freitag)\b"
    r".{0,25}\b(?:\d{1,2}(?::\d\d)? ?uhr|passt|geht)",
    r"\bich bin (?:dabei|interessiert)\b|\bklingt gut\b|\b(?:ja,? )?sehr gerne\b|\bja,? gerne\b",
    r"\bwann (?:hätten|haben|passt es) (?:sie|ihnen)\b",
    # French
    r"\bavec plaisir\b|\bvolontiers\b|\bça me va\b|\bca me va\b|\bje suis disponible\b",
    r"\bquand (?:êtes-vous|seriez-vous) disponibles?\b",
    r"\b(?:prendre|fixer|caler|planifier|organiser) (?:un )?(?:rendez-vous|rdv|appel|créneau"
    r"|réunion|démo)",
    r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|demain)\b.{0,25}\b(?:\d{1,2} ?h|me convient)",
    # Spanish
    r"\bcon (?:mucho )?gusto\b|\bme parece (?:bien|perfecto|genial)\b|\bestoy disponible\b",
    r"\bcuándo (?:tiene|tienen|estaría|está) disponibles?\b",
    r"\b(?:agendar|agendemos|programar|coordinar|organizar|concertar) (?:una )?"
    r"(?:reunión|llamada|demo|cita)",
    r"\b(?:lunes|martes|miércoles|jueves|viernes|mañana)\b.{0,25}\b(?:\d{1,2}(?::\d\d)?|me va bien)",
)
_INTEREST = _any(
    r"\binterested\b|\bsounds interesting\b|\btell me more\b|\blooks (?:good|great)\b",
    r"\binteressiert\b|\binteressant\b|\bintéress[ée]e?\b|\binteresad[oa]s?\b|\bme interesa\b",
)
_QUESTION_WORDS = _any(
    r"\b(?:how much|what(?:'s| is| are| does)|how (?:does|do|many|long)|can you|could you"
    r"|does it|is there|are there|pricing)\b",
    r"\b(?:wie viel|was kostet|wie funktioniert|gibt es|können sie|haben sie|welche)\b",
    r"\b(?:combien|quel(?:le)?s? (?:est|sont)|est-ce que|pouvez-vous|avez-vous)\b",
    r"\b(?:cuánto|cuanto|cómo|qué|cuál|pueden|tienen)\b",
)


def human_intent(text: str) -> tuple[ReplyKind, str]:
    """The kind of a human reply's new text and the rule that decided it."""
    flat = re.sub(r"\s+", " ", text)
    if _NOT_NOW.search(flat):
        return ReplyKind.NOT_NOW, "not-now wording"
    if _NEGATIVE.search(flat):
        return ReplyKind.NEGATIVE, "negative wording"
    if _MEETING.search(flat):
        return ReplyKind.POSITIVE, "asks for a meeting"
    if "?" in flat or "¿" in flat or _QUESTION_WORDS.search(flat):
        return ReplyKind.QUESTION, "asks a question"
    if _INTEREST.search(flat):
        return ReplyKind.POSITIVE, "states interest"
    return ReplyKind.QUESTION, "no rule matched"

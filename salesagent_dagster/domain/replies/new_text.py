"""The reply's own new words: quoted history, forwarded mail and signatures taken off.

Every rule after the headers reads only this text. Our own outgoing email ends in a footer
with the word "Unsubscribe" and a link; a reply quoting it must never read as an opt-out, and
a reply quoting our "would a demo help?" must never read as a question. So the cut errs
towards dropping: everything from the first sign of history on is history.

`mail-parser-reply` finds the reply headers of the common clients in English, German, French
and Spanish ("On ... wrote:", "Am ... schrieb", "Le ... a écrit", Outlook's "From: / Sent:"
blocks in each language, "-----Original Message-----"). Its Spanish "escribió" pattern wants
two spaces, it does not know forwarded-message separators, and it keeps ">" lines that no
header introduces; the markers below close those gaps. Its own signature cut is not used:
it drops everything after a line starting "Thanks," and so would drop "Thanks, but please
remove me"; signatures are cut here only at the "-- " delimiter and the mobile "Sent from".
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

from salesagent_dagster.domain.lazy_pattern import lazy_compile

# What any rule scans of the new text (DESIGN section 5: bounded work per message).
MAX_NEW_TEXT_CHARS = 64 * 1024
LANGUAGES = ["en", "de", "fr", "es"]

_HISTORY_STARTS = lazy_compile(
    "|".join(
        [
            r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine"
            r"|Mensaje original|Forwarded message|Weitergeleitete Nachricht"
            r"|Message transféré|Mensaje reenviado)\s*-{2,}",
            r"^\s*(?:Begin forwarded message|Anfang der weitergeleiteten E-Mail"
            r"|Début du message réexpédié|Inicio del mensaje reenviado)\s*:",
            r"^\s*_{10,}\s*$",  # Outlook's rule above its header block
            r"^\s*(?:On|Am|Le|El)\s.{4,300}?(?:wrote|schrieb|a\s+écrit|escribió)\s*:\s*$",
            r"^\s*\**(?:From|Von|De|Sent|Gesendet|Envoyé|Enviado)\s*:\**[^\n]*\n\s*\**(?:Sent|Date|To"
            r"|Gesendet|Datum|An|Envoyé|Date|À|Enviado|Fecha|Para|Subject|Betreff|Objet"
            r"|Asunto)\s*:",
        ]
    ),
    re.IGNORECASE | re.MULTILINE | re.DOTALL,
)
_QUOTED_LINE = lazy_compile(r"^\s*>")
# "-- " is the RFC 3676 delimiter; our own footer starts with "--" alone. Mobile clients add
# "Sent from my iPhone" and its translations.
_SIGNATURE_LINE = lazy_compile(
    r"^(?:--\s*|__\s*|(?:Sent from my|Get Outlook for|Von meinem .{1,40} gesendet|Gesendet von"
    r"|Envoyé de mon|Envoyé depuis|Enviado desde mi)\b.*)$",
    re.IGNORECASE,
)


def _library_cut(text: str) -> str:
    """The first reply the library finds; the whole text if it fails on odd input."""
    try:
        replies = EmailReplyParser(languages=list(LANGUAGES)).read(text).replies
    except Exception:  # a third-party regex engine on untrusted text: never fatal
        return text
    return replies[0].content if replies else text


def new_text(body: str) -> str:
    """The reply's new text, at most `MAX_NEW_TEXT_CHARS` characters."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    text = _library_cut(text)
    history = _HISTORY_STARTS.search(text)
    if history:
        text = text[: history.start()]
    kept = []
    for line in text.split("\n"):
        if _SIGNATURE_LINE.match(line.strip()):
            break
        if _QUOTED_LINE.match(line):
            continue
        kept.append(line)
    return "\n".join(kept).strip()[:MAX_NEW_TEXT_CHARS]

"""Automatic replies: RFC 3834 headers first, then out-of-office wording.

The headers are the reliable signal: `Auto-Submitted` with any value but `no` (Gmail's
vacation responder and Exchange set it), `X-Autoreply`, `X-Autorespond` (cPanel),
`Precedence: auto_reply | bulk | junk`. `X-Auto-Response-Suppress` is not one of them: a
sender sets it to ask others not to auto-reply, and Outlook puts it on ordinary human mail.

Wording is the fallback for responders that set none of those, and is held to phrases an
automatic message uses about its writer's absence ("Out of Office", "Abwesenheitsnotiz",
"Réponse automatique", "Fuera de la oficina"), in the subject or at the top of the new text.
A human who writes "I'm out of office until Monday, let's talk then" without such headers is
read as an auto-reply too; the listener then only records the return date, which is harmless.
"""

from __future__ import annotations

import re
from datetime import date
from email.message import Message

from salesagent_dagster.domain.lazy_pattern import lazy_compile
from salesagent_dagster.domain.replies.kinds import Classification, ReplyKind
from salesagent_dagster.domain.replies.message_text import header
from salesagent_dagster.domain.replies.return_date import return_date

_AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}
_SUBJECT = lazy_compile(
    r"out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]response"
    r"|away from (?:the )?office|abwesenheit|automatische antwort|außer haus"
    r"|nicht im büro|absence|réponse automatique|message automatique"
    r"|fuera de la oficina|respuesta automática|fuera de oficina",
    re.IGNORECASE,
)
_BODY = lazy_compile(
    r"\b(?:i am|i'm|i will be|i'll be|i am currently|currently)\s+(?:out of (?:the )?office"
    r"|on (?:annual |parental |sick )?leave|on vacation|on holiday|ooo)"
    r"|\bthis is an automatic (?:reply|response|message)"
    r"|\bautomatic reply\b|\bout of (?:the )?office\b"
    r"|\bich bin (?:derzeit |zurzeit |momentan |vom .{1,30} )?(?:bis .{1,30} )?"
    r"(?:nicht im büro|abwesend|im urlaub|nicht erreichbar|außer haus)"
    r"|\b(?:abwesenheitsnotiz|automatische antwort)\b"
    r"|\bje suis (?:actuellement )?(?:absente?|en congés?|en vacances|hors du bureau)"
    r"|\bje serai (?:absente?|en congés?)|\bréponse automatique\b|\bmessage automatique\b"
    r"|\b(?:estoy|estaré) (?:fuera de la oficina|fuera|de vacaciones|ausente)"
    r"|\brespuesta automática\b|\bfuera de la oficina\b",
    re.IGNORECASE,
)
# An out-of-office says so near its top; a phrase deep in a long human reply is not one.
BODY_WINDOW = 600


def auto_reply_header(message: Message) -> str | None:
    """Which header marks the message as automatic, or None."""
    submitted = header(message, "Auto-Submitted").split(";", 1)[0].strip().lower()
    if submitted and submitted != "no":
        return "auto-submitted header"
    if header(message, "X-Autoreply").lower() not in {"", "no", "false", "0"}:
        return "x-autoreply header"
    if message.get("X-Autorespond") is not None:
        return "x-autorespond header"
    if header(message, "Precedence").lower() in _AUTO_PRECEDENCE:
        return "precedence header"
    return None


def classify_auto_reply(message: Message, text: str, received_on: date) -> Classification | None:
    """An auto-reply's classification with its return date, or None for anything else."""
    subject = header(message, "Subject")
    reason = auto_reply_header(message)
    if reason is None and _SUBJECT.search(subject):
        reason = "out-of-office subject"
    if reason is None and _BODY.search(text[:BODY_WINDOW]):
        reason = "out-of-office wording"
    if reason is None:
        return None
    return Classification(
        ReplyKind.AUTO_REPLY, reason, return_date=return_date(f"{subject}\n{text}", received_on)
    )

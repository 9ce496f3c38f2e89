"""Opt-outs: our mailto unsubscribe, and a reply whose own words ask us to stop.

An opt-out is honoured forever (DESIGN I-12), so a missed one costs more than a false one;
the phrases are broad within the reply's new text. That is only safe because the new text
never holds our own footer ("Unsubscribe: https://..."): quoted history is cut before this
runs, and a line that pairs "unsubscribe" with a link is a footer, not a request.
"""

from __future__ import annotations

import re

from salesagent_dagster.domain.lazy_pattern import lazy_compile

# Our List-Unsubscribe mailto sets the subject "unsubscribe KEY" (outreach_settings); some
# clients prefix it, some leave the key off. "stop" alone is the SMS-era habit.
_MAILTO_SUBJECT = lazy_compile(
    r"^\s*(?:re:\s*)?(?:unsubscribe|stop)(?:\s+(?P<key>[A-Za-z0-9_.:-]{1,128}))?\s*$",
    re.IGNORECASE,
)
_FOOTER_LINE = lazy_compile(r"unsubscribe\S*\s*:?\s*<?https?://", re.IGNORECASE)
_ASKS_TO_STOP = lazy_compile(
    "|".join(
        [
            # English
            r"\bunsubscrib",
            r"\bremove (?:me|us|my (?:e-?mail|address|name|details|contact))",
            r"\btake (?:me|us|my (?:e-?mail|address)) off\b",
            r"\b(?:be|get|been|being) (?:removed|taken off|unsubscribed)\b",
            r"\bstop (?:e-?mailing|emailing|sending|contacting|writing|messaging|spamming)",
            r"\b(?:do not|don't|dont|never) (?:contact|e-?mail|email|write to|message) (?:me|us)",
            r"\bno more (?:e-?mails|emails|messages)",
            r"\bopt(?:\s|-)?(?:me )?out\b",
            r"\bdelete my (?:data|details|e-?mail|address|contact)",
            r"\btake me out of\b",
            r"\bleave me alone\b",
            # German
            r"\babmelden\b|\babmeldung\b|\babbestellen\b|\baustragen\b",
            r"\bkeine (?:weiteren |weitere )?(?:e-?mails?|mails?|nachrichten|werbung)"
            r"(?: mehr)?",
            r"\bnicht mehr (?:kontaktieren|anschreiben|schreiben|zu schreiben|kontaktiert)",
            r"\b(?:entfernen|löschen) sie (?:mich|meine)",
            r"\bbitte (?:mich )?(?:aus (?:ihrem|dem|ihrer) \w+ )?(?:streichen|entfernen|löschen)",
            r"\bkontaktieren sie mich nicht",
            r"\btragen sie mich\b.{0,40}\baus\b|\baus (?:dem|ihrem|ihrer) (?:verteiler|liste|"
            r"newsletter|mailingliste)\b",
            # French
            r"\bd[ée]sinscri|\bd[ée]sabonn",
            r"\bretirez[- ](?:moi|mon adresse)|\bsupprimez[- ](?:moi|mon adresse|mes)",
            r"\bne (?:plus|pas) (?:me )?(?:contacter|recevoir|écrire|envoyer)",
            r"\bne (?:me |m')(?:contactez|écrivez|envoyez|sollicitez)\w* plus",
            r"\barr[êe]tez (?:de m'|de me |de nous |vos |d'envoyer)",
            r"\bcessez (?:de |vos )",
            # Spanish
            r"\bdar(?:me|nos)? de baja\b|\bdadme de baja|\bden(?:me)? de baja",
            r"\bdej(?:en|a|ad) de (?:escribir|enviar|contactar|mandar)",
            r"\bno (?:me |nos )?(?:escriban|escribas|envíen|envien|contacten) más",
            r"\b(?:elimínen|eliminen|quíten|quiten|bórren|borren)me\b",
            r"\bno (?:quiero|deseo) recibir",
            r"\bno (?:me |nos )?vuelvan a (?:escribir|contactar)",
            r"\bsacarme de\b|\bquitarme de\b|\beliminarme de\b",
        ]
    ),
    re.IGNORECASE,
)


def mailto_unsubscribe(subject: str) -> tuple[bool, str | None]:
    """Whether the subject is our mailto unsubscribe, and the key it carries (if any)."""
    match = _MAILTO_SUBJECT.match(subject)
    if not match:
        return False, None
    return True, match.group("key")


def asks_to_stop(text: str) -> bool:
    """Whether the reply's new text asks us to stop writing, in EN, DE, FR or ES."""
    own_words = " ".join(line for line in text.split("\n") if not _FOOTER_LINE.search(line))
    own_words = re.sub(r"\s+", " ", own_words)
    return bool(_ASKS_TO_STOP.search(own_words))

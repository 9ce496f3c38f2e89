"""The rules-first reply classifier, behind a protocol a model-based one can implement later.

Order, each step deciding only what the earlier ones left open:
1. bounce (a DSN, or a mailer daemon's text): the headers and report parts say it;
2. our mailto unsubscribe ("unsubscribe KEY" subject): before auto-replies, because some
   clients send the mailto themselves with `Auto-Submitted` set, and an opt-out is never lost;
3. auto-reply (RFC 3834 headers, then out-of-office wording);
4. unsubscribe in the reply's own new words;
5. what a human reply wants.

Unreadable mail (no decodable text at all, or noise under a lying charset) is not read as an
opt-out, nor as "no": it becomes a `question` with reason "unreadable body", so a human opens
it. Every human kind stops the automatic sequence, so a real opt-out in an unreadable message
is sent nothing more while it waits for that human; reading one as `unsubscribe` would
suppress a person forever on a guess.
"""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from typing import Protocol, runtime_checkable

from salesagent_dagster.domain.replies.auto_replies import classify_auto_reply
from salesagent_dagster.domain.replies.bounces import classify_bounce
from salesagent_dagster.domain.replies.intent import human_intent
from salesagent_dagster.domain.replies.kinds import Classification, ReplyKind
from salesagent_dagster.domain.replies.message_text import body_text, header
from salesagent_dagster.domain.replies.new_text import new_text
from salesagent_dagster.domain.replies.opt_out import asks_to_stop, mailto_unsubscribe


@runtime_checkable
class ReplyClassifier(Protocol):
    def classify(self, message: EmailMessage, *, received_on: date) -> Classification: ...


class RuleClassifier:
    """The default classifier: header and wording rules, no model, microseconds per message."""

    name = "rules"

    def classify(self, message: EmailMessage, *, received_on: date) -> Classification:
        try:
            return self._classify(message, received_on)
        except Exception:  # I-9: no message, however broken, stops the mailbox listener
            return Classification(ReplyKind.QUESTION, "classifier error")

    def _classify(self, message: EmailMessage, received_on: date) -> Classification:
        bounce = classify_bounce(message)
        if bounce is not None:
            return bounce
        is_mailto, key = mailto_unsubscribe(header(message, "Subject"))
        if is_mailto:
            return Classification(ReplyKind.UNSUBSCRIBE, "mailto unsubscribe", unsubscribe_key=key)
        body = body_text(message)
        text = new_text(body) if body is not None else ""
        auto = classify_auto_reply(message, text, received_on)
        if auto is not None:
            return auto
        if body is None:
            return Classification(ReplyKind.QUESTION, "unreadable body")
        if asks_to_stop(text):
            return Classification(ReplyKind.UNSUBSCRIBE, "asks to stop")
        if not text:
            return Classification(ReplyKind.QUESTION, "no new text")
        kind, reason = human_intent(text)
        return Classification(kind, reason)


DEFAULT_CLASSIFIER = RuleClassifier()


def classify_reply(
    message: EmailMessage,
    *,
    received_on: date,
    classifier: ReplyClassifier = DEFAULT_CLASSIFIER,
) -> Classification:
    """Classify one incoming message that answers our outreach (the mailbox listener's call).

    `received_on` is the day it arrived; a return date stated without a year is read as the
    next such day on or after it."""
    return classifier.classify(message, received_on=received_on)

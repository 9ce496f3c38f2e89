"""What a classified reply is: its kind and the few facts the mailbox listener acts on.

The listener stores these and turns them into effects (suppression, follow-ups stopped or
moved, a human told); `reason` goes into Dagster metadata, so it names the rule that fired and
never quotes the message (DESIGN I-6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class ReplyKind(StrEnum):
    POSITIVE = "positive"  # interested, asks for a meeting
    QUESTION = "question"  # a human must answer it
    NOT_NOW = "not_now"  # interested later: follow-ups move, not stop for good
    NEGATIVE = "negative"  # not interested
    UNSUBSCRIBE = "unsubscribe"  # an opt-out: suppress forever (DESIGN I-12)
    AUTO_REPLY = "auto_reply"  # RFC 3834 responder, out-of-office
    BOUNCE_HARD = "bounce_hard"  # permanent delivery failure: suppress
    BOUNCE_SOFT = "bounce_soft"  # transient: the address may work later

    @property
    def is_human(self) -> bool:
        return self in HUMAN_KINDS


HUMAN_KINDS = frozenset(
    {ReplyKind.POSITIVE, ReplyKind.QUESTION, ReplyKind.NOT_NOW, ReplyKind.NEGATIVE}
)


@dataclass(frozen=True)
class Classification:
    kind: ReplyKind
    reason: str  # which rule fired; never message text (it goes into metadata)
    return_date: date | None = None  # auto-replies, when stated
    bounced_recipient: str | None = None  # DSN Final-Recipient / Original-Recipient
    original_message_ids: tuple[str, ...] = ()  # Message-IDs with their angle brackets
    unsubscribe_key: str | None = None  # from a mailto subject "unsubscribe KEY"

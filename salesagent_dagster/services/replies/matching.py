"""Which lead an incoming message answers, from what the message itself proves.

In order: the lead key in our mailto unsubscribe's subject (a new message, not a reply);
our Message-IDs in In-Reply-To/References (or, for a bounce, inside the returned headers);
the Gmail thread of our sends to one lead; last, for a bounce from a mail system only
(mailer-daemon, postmaster), the hash of the DSN's Final-Recipient against the addresses we
wrote to: anyone can write a DSN-shaped message naming an address. Anything else matches no
lead. (Who may opt a matched lead out is the effects' rule: services.replies.effects.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from salesagent_dagster.domain.replies import Classification, ReplyKind
from salesagent_dagster.store import reply_matching

BOUNCES = (ReplyKind.BOUNCE_HARD, ReplyKind.BOUNCE_SOFT)


@dataclass(frozen=True)
class Candidate:
    """One message to match: what it says, already read and classified."""

    gmail_message_id: str
    thread_id: str
    referenced_ids: tuple[str, ...]
    classification: Classification
    bounced_hash: str | None
    from_mail_system: bool = False  # From mailer-daemon@ or postmaster@ (DSNs come from there)


@dataclass(frozen=True)
class Match:
    partition_key: str | None
    how: str  # mailto_key | thread | message_id | bounced_recipient | unmatched


def match_leads(session: Session, mailbox: str, candidates: list[Candidate]) -> dict[str, Match]:
    """Gmail message id -> Match, with one ledger query per lookup kind for the batch."""
    keys = [c.classification.unsubscribe_key or "" for c in candidates]
    known_keys = reply_matching.sent_keys(session, mailbox, keys)
    threads = reply_matching.by_thread(session, mailbox, [c.thread_id for c in candidates])
    ids = [i for c in candidates for i in (*c.referenced_ids, *_original_ids(c))]
    by_id = reply_matching.by_message_id(session, mailbox, ids)
    bounced = [c.bounced_hash or "" for c in candidates if c.classification.kind in BOUNCES]
    by_recipient = reply_matching.by_recipient_hash(session, mailbox, bounced)
    matches = {}
    for candidate in candidates:
        matches[candidate.gmail_message_id] = _match_one(
            candidate, known_keys, threads, by_id, by_recipient
        )
    return matches


def _original_ids(candidate: Candidate) -> tuple[str, ...]:
    return candidate.classification.original_message_ids


def _match_one(
    candidate: Candidate,
    known_keys: set[str],
    threads: dict[str, str],
    by_id: dict[str, str],
    by_recipient: dict[str, str],
) -> Match:
    key = candidate.classification.unsubscribe_key
    if key and key in known_keys:
        return Match(key, "mailto_key")
    for message_id in (*candidate.referenced_ids, *_original_ids(candidate)):
        if message_id in by_id:
            return Match(by_id[message_id], "message_id")
    if candidate.thread_id in threads:
        return Match(threads[candidate.thread_id], "thread")
    if (
        candidate.classification.kind in BOUNCES
        and candidate.from_mail_system
        and candidate.bounced_hash in by_recipient
    ):
        return Match(by_recipient[candidate.bounced_hash or ""], "bounced_recipient")
    return Match(None, "unmatched")

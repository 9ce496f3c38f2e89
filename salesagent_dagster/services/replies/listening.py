"""Listening to one mailbox: one history.list (all its pages) from the stored cursor, each
new message read, classified, matched to our sends and recorded; the cursor moves in the
same transaction as the records (DESIGN I-9), so a crash re-reads, never loses.

First sight of a mailbox starts at its current historyId (mail from before we listened is
not ours to act on). When Gmail no longer keeps history that old (404), the last
`resync_days` of received mail is listed instead, and only what is not recorded yet is read.
Our own mail (SENT and DRAFT messages, or anything from one of our mailboxes) is not acted on.
One unreadable message never stops the rest: it is recorded with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from salesagent_dagster.domain.replies import Classification, ReplyKind, classify_reply
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.errors import (
    AuthorizationRevoked,
    HistoryTooOld,
    NotFound,
    PermanentServiceError,
)
from salesagent_dagster.resources.gmail import GmailResource, RawMessage
from salesagent_dagster.services.replies.effects import suppress_at_once
from salesagent_dagster.services.replies.matching import Candidate, Match, match_leads
from salesagent_dagster.services.replies.reading import IncomingMail, address_hash, read_incoming
from salesagent_dagster.store import inbound_mail, mailbox_cursors, reply_matching
from salesagent_dagster.store.inbound_mail import IGNORED, UNREADABLE, InboundRecord
from salesagent_dagster.store.models import utc_now

RESYNC_DAYS = 7
# A tick commits all it read at once, so it must finish inside the sensor's deadline (60 s by
# default) even at real Gmail's ~50-100 ms per messages.get; more waits for the next tick
# (the cursor stays until all are read, and what is recorded is not fetched again).
MAX_MESSAGES_PER_TICK = 200
_OUR_LABELS = frozenset({"SENT", "DRAFT"})


@dataclass(frozen=True)
class ListeningSettings:
    own_addresses: frozenset[str]  # every mailbox of ours, lower-cased
    hash_salt: str
    auto_reply_delay_days: int = 3
    resync_days: int = RESYNC_DAYS
    max_messages: int = MAX_MESSAGES_PER_TICK


@dataclass
class PollReport:
    mailbox: str
    started: bool = False  # first sight: the cursor was set, nothing read
    resynced: bool = False
    history_id: str = ""
    listed: int = 0  # new messages history (or the resync) named
    recorded: int = 0
    already_recorded: int = 0
    ours: int = 0  # our own sends and drafts, skipped without a fetch
    unmatched: int = 0
    left_for_next_tick: int = 0
    api_calls: int = 0
    to_handle: list[int] = field(default_factory=list)  # inbound ids whose effects are due
    opted_out: int = 0  # of those, opt-outs (unsubscribe, hard bounce) suppressed at once


@dataclass(frozen=True)
class _Read:
    gmail_id: str
    raw: RawMessage | None  # None: Gmail no longer had it
    mail: IncomingMail | None
    classification: Classification | None
    problem: str | None  # why it could not be read or classified


def poll_mailbox(
    gmail: GmailResource, app_store: AppStoreResource, settings: ListeningSettings
) -> PollReport:
    mailbox = gmail.sender_email.strip().lower()
    report = PollReport(mailbox=mailbox)
    with app_store.session() as session:
        cursor = mailbox_cursors.get_cursor(session, mailbox)
        start = cursor.history_id if cursor is not None else None
    if start is None:
        report.history_id, report.started = gmail.current_history_id(), True
        report.api_calls += 1
        with app_store.session() as session:
            mailbox_cursors.save_cursor(session, mailbox, report.history_id)
        return report

    try:
        page = gmail.history_since(start)
        report.api_calls += page.api_calls
        ids = [m.message_id for m in page.added if not _OUR_LABELS & set(m.label_ids)]
        report.ours = len(page.added) - len(ids)
        report.history_id = page.history_id
    except HistoryTooOld:
        # The id first, then the listing: mail arriving in between is listed by the next tick.
        report.history_id = gmail.current_history_id()
        ids = gmail.recent_message_ids(settings.resync_days)
        report.resynced, report.api_calls = True, report.api_calls + 3  # 404, profile, list

    report.listed = len(ids)
    with app_store.session() as session:
        known = inbound_mail.recorded_ids(session, mailbox, ids)
    todo = [i for i in ids if i not in known]
    report.already_recorded = len(ids) - len(todo)
    report.left_for_next_tick = max(0, len(todo) - settings.max_messages)
    todo = todo[: settings.max_messages]

    reads = [_read(gmail, gmail_id, settings) for gmail_id in todo]
    report.api_calls += len(todo)
    _record(app_store, mailbox, reads, report, settings)
    for inbound_id in report.to_handle:
        report.opted_out += suppress_at_once(app_store, inbound_id)
    return report


def _read(gmail: GmailResource, gmail_id: str, settings: ListeningSettings) -> _Read:
    try:
        raw = gmail.get_raw_message(gmail_id)
    except NotFound:
        return _Read(gmail_id, None, None, None, "deleted before read")
    except AuthorizationRevoked:
        raise  # the mailbox's grant, not this message: the listener stops using the mailbox
    except PermanentServiceError:
        # Refused or unreadable for this one message (a 400/403, a garbled `raw`): recorded
        # with the reason so the cursor moves on; one message never stops the mailbox (I-9).
        return _Read(gmail_id, None, None, None, "unreadable answer")
    try:
        mail = read_incoming(raw.raw)
    except Exception as exc:  # I-9: recorded with the reason, the rest goes on
        return _Read(gmail_id, raw, None, None, f"unparseable: {type(exc).__name__}")
    if mail.from_address in settings.own_addresses:
        return _Read(gmail_id, raw, mail, None, "own address")
    classification = classify_reply(mail.message, received_on=raw.internal_date.date())
    return _Read(gmail_id, raw, mail, classification, None)


def _record(
    app_store: AppStoreResource,
    mailbox: str,
    reads: list[_Read],
    report: PollReport,
    settings: ListeningSettings,
) -> None:
    """Match, record every message and move the cursor, in one transaction."""
    with app_store.session() as session:
        candidates = [_candidate(r, settings.hash_salt) for r in reads if r.classification]
        matches = match_leads(session, mailbox, candidates)
        matched_keys = [m.partition_key for m in matches.values() if m.partition_key]
        lead_hashes = reply_matching.recipient_hashes(session, matched_keys)
        for read in reads:
            record = _record_of(read, mailbox, matches.get(read.gmail_id), lead_hashes, settings)
            row, created = inbound_mail.record_inbound(session, record)
            report.recorded += created
            report.unmatched += created and record.reason == "unmatched"
            if created and row.partition_key is not None and row.kind != IGNORED:
                report.to_handle.append(row.id)
        if report.left_for_next_tick == 0:
            mailbox_cursors.save_cursor(
                session,
                mailbox,
                report.history_id,
                resynced_at=utc_now() if report.resynced else None,
            )


# The local parts mail systems send delivery reports from (RFC 3464 practice, RFC 2142).
MAIL_SYSTEM_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})


def _candidate(read: _Read, salt: str) -> Candidate:
    assert read.mail is not None and read.classification is not None and read.raw is not None
    bounced = read.classification.bounced_recipient
    return Candidate(
        gmail_message_id=read.gmail_id,
        thread_id=read.raw.thread_id,
        referenced_ids=read.mail.referenced_ids,
        classification=read.classification,
        bounced_hash=address_hash(bounced, salt) if bounced else None,
        from_mail_system=read.mail.from_address.split("@", 1)[0] in MAIL_SYSTEM_SENDERS,
    )


def _record_of(
    read: _Read,
    mailbox: str,
    match: Match | None,
    lead_hashes: dict[str, str],
    settings: ListeningSettings,
) -> InboundRecord:
    mail, classification, raw = read.mail, read.classification, read.raw
    received_at = raw.internal_date if raw is not None else utc_now()
    from_hash = address_hash(mail.from_address, settings.hash_salt) if mail else None
    base = InboundRecord(
        mailbox=mailbox,
        gmail_message_id=read.gmail_id,
        gmail_thread_id=raw.thread_id if raw is not None else None,
        partition_key=None,
        rfc822_message_id=mail.rfc822_message_id if mail else None,
        kind=UNREADABLE,
        reason=read.problem or "unreadable",
        return_on=None,
        from_hash=from_hash,
        bounced_hash=None,
        subject="",
        body_text="",
        received_at=received_at,
    )
    if classification is None or mail is None:
        # Our own mail, or nothing we could read: no lead, no text kept.
        ignored = read.problem in ("own address", "deleted before read")
        return replace(base, kind=IGNORED) if ignored else base
    key = match.partition_key if match is not None else None
    bounced_hash = address_hash(classification.bounced_recipient or "", settings.hash_salt)
    if key is None:
        # A stranger's mail or a bounce for an address we never wrote to: recorded that it
        # came and what it was, nothing of what it says.
        return replace(
            base, kind=classification.kind, reason="unmatched", bounced_hash=bounced_hash
        )
    return replace(
        base,
        partition_key=key,
        kind=classification.kind,
        reason=_reason(mail, classification, from_hash, lead_hashes.get(key)),
        return_on=_return_on(classification, received_at, settings.auto_reply_delay_days),
        bounced_hash=bounced_hash,
        subject=mail.subject,
        body_text=mail.body_text,
    )


def _reason(
    mail: IncomingMail,
    classification: Classification,
    from_hash: str | None,
    lead_hash: str | None,
) -> str:
    """The classifier's rule, unless the message itself is the story."""
    if mail.malformed:
        return "malformed mime"
    if mail.is_large:
        return "large message"
    if classification.kind.is_human and lead_hash and from_hash != lead_hash:
        return "other sender"
    return classification.reason


def _return_on(classification: Classification, received_at: datetime, delay: int) -> date | None:
    if classification.kind != ReplyKind.AUTO_REPLY:
        return None
    return classification.return_date or (received_at + timedelta(days=delay)).date()

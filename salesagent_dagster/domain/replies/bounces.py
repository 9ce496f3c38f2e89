"""Delivery failures: RFC 3464 delivery-status reports, and the bounces that lack one.

A hard bounce suppresses the address for good (DESIGN I-12), so "hard" needs a permanent
status: a DSN's `Action: failed` with a 5.x.x `Status`, or, in a mailer-daemon text without a
DSN part, a 5xx code or "permanent" wording. Anything else a mailer daemon says (delayed,
4.x.x, no status at all) is soft: the address may still work, and a later hard bounce will
still say so.

The original Message-IDs let the listener find which of our sends bounced: the returned
`message/rfc822` or `text/rfc822-headers` part, then the bounce's own In-Reply-To/References.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser
from email.utils import parseaddr

from salesagent_dagster.domain.lazy_pattern import lazy_compile
from salesagent_dagster.domain.replies.kinds import Classification, ReplyKind
from salesagent_dagster.domain.replies.message_text import body_text, decoded_text, header

_DAEMON_LOCALPARTS = {"mailer-daemon", "postmaster", "mail-daemon", "maildaemon"}
_DAEMON_NAMES = lazy_compile(r"mail delivery (?:subsystem|system)|mailer-daemon", re.IGNORECASE)
_ENHANCED_STATUS = lazy_compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_REPLY = lazy_compile(r"(?<!\d)([45])\d\d(?:[ -](?=[245]\.\d)|\s+(?=\S))")
_PERMANENT_WORDS = lazy_compile(
    r"permanent|user unknown|unknown user|does not exist|doesn't exist|no such user"
    r"|address rejected|recipient rejected|not found|unrouteable|invalid recipient"
    r"|existiert nicht|unbekannt|n'existe pas|introuvable|no existe",
    re.IGNORECASE,
)
_TRANSIENT_WORDS = lazy_compile(
    r"delayed|will retry|will be retried|temporar|not yet been delivered|still trying"
    r"|verzögert|retardé|retrasad",
    re.IGNORECASE,
)
_MESSAGE_ID = lazy_compile(r"<[^<>\s]+@[^<>\s]+>")
_ADDRESS = lazy_compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def is_from_mailer_daemon(message: Message) -> bool:
    name, address = parseaddr(header(message, "From"))
    localpart = address.rsplit("@", 1)[0].lower()
    return localpart in _DAEMON_LOCALPARTS or bool(_DAEMON_NAMES.search(name))


def _is_delivery_report(message: Message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    )


def _status_blocks(message: Message) -> list[Message]:
    """The field blocks of every message/delivery-status part (per-message, per-recipient)."""
    blocks: list[Message] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks += [block for block in payload if isinstance(block, Message)]
        elif isinstance(payload, str):  # an unparsed body: read it as header blocks
            blocks += [HeaderParser().parsestr(chunk) for chunk in payload.split("\n\n")]
    return blocks


def _address_field(value: str) -> str | None:
    """`rfc822; ana@example.com` -> `ana@example.com`."""
    address = value.split(";", 1)[-1].strip().strip("<>").strip()
    return address.lower() if _ADDRESS.fullmatch(address) else None


def original_message_ids(message: Message) -> tuple[str, ...]:
    ids: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            for inner in part.get_payload() if isinstance(part.get_payload(), list) else []:
                if isinstance(inner, Message):
                    ids += _MESSAGE_ID.findall(header(inner, "Message-ID"))
        elif content_type == "text/rfc822-headers":
            text = decoded_text(part) or ""
            ids += _MESSAGE_ID.findall(header(HeaderParser().parsestr(text), "Message-ID"))
    for name in ("In-Reply-To", "References"):
        ids += _MESSAGE_ID.findall(header(message, name))
    return tuple(dict.fromkeys(ids))


def _from_dsn(message: Message, blocks: list[Message]) -> Classification | None:
    hard = soft = None
    for block in blocks:
        action = header(block, "Action").lower()
        status = header(block, "Status")
        recipient = _address_field(header(block, "Final-Recipient")) or _address_field(
            header(block, "Original-Recipient")
        )
        if not action and not status:
            continue  # the per-message block
        if action == "failed" and not status.startswith("4"):
            hard = hard or recipient or ""
        elif action == "delayed" or status.startswith("4") or action == "failed":
            soft = soft or recipient or ""
    if hard is None and soft is None:
        return None
    kind, reason = (
        (ReplyKind.BOUNCE_HARD, "dsn failed 5.x.x")
        if hard is not None
        else (ReplyKind.BOUNCE_SOFT, "dsn delayed or 4.x.x")
    )
    return Classification(
        kind=kind,
        reason=reason,
        bounced_recipient=(hard if hard is not None else soft) or _failed_recipient(message),
        original_message_ids=original_message_ids(message),
    )


def _failed_recipient(message: Message, text: str = "") -> str | None:
    """Exim's X-Failed-Recipients, else the first address the daemon's text names that is
    neither the daemon nor us (the bounce's From and To)."""
    listed = _ADDRESS.search(header(message, "X-Failed-Recipients"))
    if listed:
        return listed.group(0).lower()
    ours = {parseaddr(header(message, name))[1].lower() for name in ("From", "To")}
    for found in _ADDRESS.finditer(text):
        address = found.group(0).lower()
        if address not in ours and not is_from_mailer_daemon_address(address):
            return address
    return None


def is_from_mailer_daemon_address(address: str) -> bool:
    return address.rsplit("@", 1)[0].lower() in _DAEMON_LOCALPARTS


def _from_text(message: Message) -> Classification:
    text = body_text(message) or ""
    statuses = [m.group(1) for m in _ENHANCED_STATUS.finditer(text) if m.group(1) != "2"]
    smtp = [m.group(1) for m in _SMTP_REPLY.finditer(text)]
    if "5" in statuses or (not statuses and "5" in smtp):
        kind, reason = ReplyKind.BOUNCE_HARD, "daemon text 5xx"
    elif statuses or smtp or _TRANSIENT_WORDS.search(text):
        kind, reason = ReplyKind.BOUNCE_SOFT, "daemon text 4xx or delayed"
    elif _PERMANENT_WORDS.search(text):
        kind, reason = ReplyKind.BOUNCE_HARD, "daemon text permanent"
    else:
        kind, reason = ReplyKind.BOUNCE_SOFT, "daemon without status"
    return Classification(
        kind=kind,
        reason=reason,
        bounced_recipient=_failed_recipient(message, text),
        original_message_ids=original_message_ids(message),
    )


def classify_bounce(message: Message) -> Classification | None:
    """A bounce's classification, or None when the message is not a bounce.

    A delivery report whose recipients were all delivered or relayed is not a bounce but
    still no human's reply: it is an automatic message."""
    blocks = _status_blocks(message)
    if blocks:
        found = _from_dsn(message, blocks)
        if found is not None:
            return found
        return Classification(ReplyKind.AUTO_REPLY, "dsn without failure")
    if _is_delivery_report(message) or is_from_mailer_daemon(message):
        return _from_text(message)
    return None

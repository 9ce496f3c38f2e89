"""Realistic incoming mail for the Gmail emulator: what a lead's mail client, an
out-of-office responder or a receiving server sends back after one of our messages.

Each builder takes our message as Gmail holds it (RFC 822 bytes) and returns the answer's
bytes, with the headers real senders set: In-Reply-To and References naming our Message-ID,
Gmail's vacation-responder headers (RFC 3834), an RFC 3464 delivery-status report from the
mailer daemon with our message's headers returned in text/rfc822-headers, and the mailto
unsubscribe our List-Unsubscribe header offers. `insert_incoming` puts one into a mailbox
through the official client (`users.messages.insert`), as a test or the demo would against
real Gmail. Imports nothing of the product.
"""

from __future__ import annotations

import email
import re
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from salesagent_dagster.sandbox.gmail_message import b64url

KINDS = ("positive", "negative", "ooo", "bounce", "unsubscribe")
_WORDS = {
    "positive": "Thanks for the quick answer, this sounds great. Could we talk on Tuesday at "
    "10? Please send an invite.",
    "negative": "Thanks, but we are not interested. We already use another tool.",
}


def _parsed(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=policy.default)


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return str(value).strip() if value is not None else ""


def _quoted(original: Message, when: datetime) -> str:
    """The quoted history a mail client appends under a reply."""
    part = original.get_body(("plain",)) if isinstance(original, EmailMessage) else None
    text = part.get_content() if part is not None else ""
    sender = _header(original, "From")
    lines = "\n".join(f"> {line}" for line in text.splitlines())
    return f"On {format_datetime(when)}, {sender} wrote:\n{lines}\n"


def _answer(original: Message, *, sender: str, subject: str, when: datetime) -> EmailMessage:
    """A message from `sender` to the original's author, threaded onto it."""
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = _header(original, "From")
    answer["Subject"] = subject
    answer["Date"] = format_datetime(when)
    answer["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rsplit("@", 1)[-1] or "x")
    ours = _header(original, "Message-ID")
    if ours:
        answer["In-Reply-To"] = ours
        answer["References"] = " ".join([*_header(original, "References").split(), ours])
    return answer


def _recipient(original: Message) -> str:
    return _header(original, "To")


def reply_message(
    original_raw: bytes,
    kind: str,
    *,
    sender: str | None = None,
    when: datetime | None = None,
    return_on: date | None = None,
) -> bytes:
    """The answer of `kind` (one of KINDS) to our message. `sender` defaults to the
    original's recipient; `return_on` is the out-of-office's date (default: in a week)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    original = _parsed(original_raw)
    when = when or datetime.now(UTC)
    sender = sender or _recipient(original)
    subject = _header(original, "Subject")
    if kind == "bounce":
        return delivery_status_notification(original_raw, when=when)
    if kind == "unsubscribe":
        return mailto_unsubscribe(original_raw, sender=sender, when=when)
    if kind == "ooo":
        back = return_on or (when + timedelta(days=7)).date()
        answer = _answer(original, sender=sender, subject=f"Out of office Re: {subject}", when=when)
        # What Gmail's vacation responder sets (RFC 3834).
        answer["Auto-Submitted"] = "auto-replied"
        answer["Precedence"] = "bulk"
        answer["X-Autoreply"] = "yes"
        answer.set_content(
            f"Hi,\n\nI'm out of the office until {back.day} {back:%B %Y} with limited access "
            "to email. I will answer when I am back.\n"
        )
        return answer.as_bytes()
    answer = _answer(original, sender=sender, subject=f"Re: {subject}", when=when)
    answer.set_content(f"{_WORDS[kind]}\n\n{_quoted(original, when)}")
    return answer.as_bytes()


def mailto_unsubscribe(
    original_raw: bytes, *, sender: str | None = None, when: datetime | None = None
) -> bytes:
    """The message a mail client sends for the `mailto:` in our List-Unsubscribe header: a
    new message (no threading headers) to its address, with its `subject`."""
    original = _parsed(original_raw)
    found = re.search(r"<(mailto:[^>]+)>", _header(original, "List-Unsubscribe"))
    if found is None:
        raise ValueError("the original message has no mailto List-Unsubscribe")
    url = urlparse(found.group(1))
    query = parse_qs(url.query)
    message = EmailMessage()
    message["From"] = sender or _recipient(original)
    message["To"] = unquote(url.path)
    message["Subject"] = query.get("subject", ["unsubscribe"])[0]
    message["Date"] = format_datetime(when or datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="mail.example")
    message.set_content(query.get("body", ["This is an unsubscribe request."])[0])
    return message.as_bytes()


def delivery_status_notification(
    original_raw: bytes,
    *,
    recipient: str | None = None,
    when: datetime | None = None,
    permanent: bool = True,
    reporting_mta: str = "mx.google.com",
) -> bytes:
    """Gmail's RFC 3464 bounce for our message: multipart/report from the mailer daemon, a
    human part, message/delivery-status (Final-Recipient, Action, Status) and our headers in
    text/rfc822-headers. `recipient` defaults to the original's To address."""
    original = _parsed(original_raw)
    when = when or datetime.now(UTC)
    failed = recipient or parseaddr(_recipient(original))[1]
    ours = _header(original, "Message-ID")
    action, status = ("failed", "5.1.1") if permanent else ("delayed", "4.4.7")
    boundary = f"000000000000{abs(hash((failed, when.isoformat()))) % 10**12:012d}"
    head_end = original_raw.find(b"\r\n\r\n")
    head_end = head_end if head_end >= 0 else original_raw.find(b"\n\n")
    returned = original_raw[: head_end if head_end >= 0 else len(original_raw)].decode(
        "utf-8", "replace"
    )
    lines = [
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
        f"To: {_header(original, 'From')}",
        f"Subject: Delivery Status Notification ({'Failure' if permanent else 'Delay'})",
        f"Date: {format_datetime(when)}",
        f"Message-ID: {make_msgid(domain='mx.google.com')}",
        *([f"In-Reply-To: {ours}", f"References: {ours}"] if ours else []),
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=UTF-8",
        "",
        "** Address not found **" if permanent else "** Delivery delayed **",
        "",
        f"Your message wasn't delivered to {failed} because the address couldn't be found, "
        "or is unable to receive mail."
        if permanent
        else f"Delivery to {failed} has been delayed. Gmail will retry.",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {reporting_mta}",
        f"Arrival-Date: {format_datetime(when)}",
        "",
        f"Final-Recipient: rfc822; {failed}",
        f"Action: {action}",
        f"Status: {status}",
        f"Remote-MTA: dns; mx.{failed.rsplit('@', 1)[-1]}",
        f"Diagnostic-Code: smtp; {'550 5.1.1 The email account does not exist' if permanent else '421 4.4.7 timed out'}",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        returned.strip(),
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode()


def insert_incoming(
    service: Any,
    raw: bytes,
    thread_id: str | None = None,
    labels: tuple[str, ...] = ("INBOX", "UNREAD"),
) -> dict[str, Any]:
    """Put `raw` into the mailbox `service` (a googleapiclient Gmail service) is signed in
    to, as received mail: `users.messages.insert`, dated by its Date header."""
    body: dict[str, Any] = {"raw": b64url(raw), "labelIds": list(labels)}
    if thread_id:
        body["threadId"] = thread_id
    answer = (
        service.users()
        .messages()
        .insert(userId="me", body=body, internalDateSource="dateHeader")
        .execute(num_retries=0)  # an insert is not idempotent: never repeated blind
    )
    return dict(answer)

"""Build the RFC 5322 message we hand to Gmail.

The standard library does the encoding (RFC 2047 words for non-ASCII headers,
quoted-printable bodies); we add what Gmail, CAN-SPAM and RFC 8058 expect and refuse any
header value that could smuggle in another header.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP
from email.utils import format_datetime


class HeaderInjection(ValueError):
    """A header value contained CR, LF or NUL; the message is not built."""


@dataclass(frozen=True)
class OutgoingEmail:
    sender_name: str
    sender_email: str
    recipient_name: str
    recipient_email: str
    subject: str
    body_text: str
    message_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = field(default_factory=tuple)
    sent_at: datetime | None = None


_MESSAGE_ID_PREFIX = "salesagent."
_OUR_MESSAGE_ID = re.compile(rf"^<?{re.escape(_MESSAGE_ID_PREFIX)}[0-9a-f]+@", re.IGNORECASE)


def new_message_id(sender_email: str) -> str:
    """Our own Message-ID, stored before sending so an unclear outcome can be looked up."""
    domain = sender_email.rsplit("@", 1)[-1]
    return f"<{_MESSAGE_ID_PREFIX}{secrets.token_hex(12)}@{domain}>"


def is_our_message_id(message_id: str) -> bool:
    """Whether a Message-ID has the shape `new_message_id` gives: it still marks our mail
    once retention or erasure has removed the ledger row that named it."""
    return bool(_OUR_MESSAGE_ID.match(message_id.strip()))


def build_mime_message(email: OutgoingEmail) -> EmailMessage:
    """multipart/alternative (plain + HTML) with threading and one-click unsubscribe."""
    for name, value in (
        ("sender name", email.sender_name),
        ("sender email", email.sender_email),
        ("recipient name", email.recipient_name),
        ("recipient email", email.recipient_email),
        ("subject", email.subject),
        ("message id", email.message_id),
        ("unsubscribe url", email.unsubscribe_url),
        ("unsubscribe mailto", email.unsubscribe_mailto),
        ("in-reply-to", email.in_reply_to or ""),
        *(("references", ref) for ref in email.references),
    ):
        if re.search(r"[\r\n\0]", value):
            raise HeaderInjection(f"{name} contains a line break; refusing to build the message")

    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=email.sender_name, addr_spec=email.sender_email)
    message["To"] = Address(display_name=email.recipient_name, addr_spec=email.recipient_email)
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.sent_at or datetime.now(UTC))
    message["Message-ID"] = email.message_id
    if email.in_reply_to:
        message["In-Reply-To"] = email.in_reply_to
        message["References"] = " ".join(email.references or (email.in_reply_to,))
    message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>, <{email.unsubscribe_mailto}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.body_text, subtype="plain", charset="utf-8")
    message.add_alternative(text_to_html(email.body_text), subtype="html", charset="utf-8")
    return message


def text_to_html(text: str) -> str:
    """The HTML part says exactly what the text part says: escaped paragraphs, live links."""
    paragraphs = []
    for block in text.split("\n\n"):
        escaped = html.escape(block)
        linked = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return "<!doctype html>\n<html><body>\n" + "\n".join(paragraphs) + "\n</body></html>\n"


def encode_for_gmail(message: EmailMessage) -> str:
    """Gmail's `raw`: the RFC 822 bytes, base64url."""
    return base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")


def decode_from_gmail(raw: str) -> EmailMessage:
    """The message a stored `raw` holds, so a check can read the very bytes that go out."""
    parsed = BytesParser(policy=SMTP).parsebytes(base64.urlsafe_b64decode(raw))
    if not isinstance(parsed, EmailMessage):  # an EmailPolicy always yields one
        raise TypeError("the stored message did not parse as an EmailMessage")
    return parsed

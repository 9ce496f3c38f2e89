"""The readable text of a message: its first text/plain part, else its HTML as text.

Mail is untrusted input: a charset Python does not know, bytes that are not what the charset
says, a part that is not MIME at all. Nothing here raises; what cannot be read comes back as
None, and the classifier decides what an unreadable reply means.

The body is cut at `MAX_BODY_CHARS` before anything scans it, so a 5 MB message costs what
a 256 KB one does: the new text of a reply sits at the top, the rest is history.
"""

from __future__ import annotations

import re
from email.message import EmailMessage, Message
from html.parser import HTMLParser

MAX_BODY_CHARS = 256 * 1024
# More replacement characters than this share: the charset was a lie and the text is noise.
UNREADABLE_SHARE = 0.2

# Where an HTML reply's quoted history starts: Gmail, Outlook (web and desktop), Thunderbird,
# Apple Mail and Yahoo wrap it in one of these. Everything from there on is history.
_QUOTE_CLASSES = {"gmail_quote", "moz-cite-prefix", "yahoo_quoted", "gmail_extra"}
_QUOTE_IDS = {"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"}
_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "hr"}


class _HtmlToText(HTMLParser):
    """Text of an HTML body up to its first quoted-history container."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0  # inside <script>/<style>
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if (
            tag == "blockquote"
            or classes & _QUOTE_CLASSES
            or (values.get("id") or "").lower() in _QUOTE_IDS
            or (tag == "hr" and "tabindex" in values)  # Outlook's line above "From: ... Sent:"
        ):
            self.done = True
            return
        if tag in {"script", "style", "head", "title"}:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head", "title"} and self.skip_depth:
            self.skip_depth -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.done and not self.skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlToText()
    try:
        parser.feed(html[:MAX_BODY_CHARS])
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        pass
    text = "".join(parser.parts)
    return re.sub(r"[ \t\xa0]+", " ", re.sub(r"\n\s*\n\s*\n+", "\n\n", text)).strip()


def decoded_text(part: Message) -> str | None:
    """A text part's content as str, or None when it cannot be decoded to something readable."""
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
        if not isinstance(content, str):
            raise TypeError("not a text payload")
    except (LookupError, UnicodeError, TypeError, ValueError, AttributeError, KeyError):
        payload = _raw_payload(part)
        if payload is None:
            return None
        content = payload.decode("utf-8", errors="replace")
    content = content[:MAX_BODY_CHARS]
    if content and content.count("\ufffd") / len(content) > UNREADABLE_SHARE:
        return None
    return content


def _raw_payload(part: Message) -> bytes | None:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # the decoder of a broken transfer encoding may raise anything
        return None
    return payload if isinstance(payload, bytes) else None


def text_parts(message: Message, content_type: str) -> list[Message]:
    """Inline parts of one type, in order, attachments and attached messages left out."""
    found = []
    try:
        parts = list(message.walk())
    except Exception:  # a part tree that cannot be walked is read as the top part only
        parts = [message]
    for part in parts:
        if part.get_content_type() != content_type:
            continue
        if part.get_content_disposition() == "attachment":
            continue
        found.append(part)
    return found


def body_text(message: Message) -> str | None:
    """The first readable text/plain part, else the first HTML part as text; None if neither.

    Parts inside an attached message/rfc822 (a forwarded or bounced original) are not the
    reply's own words; `walk` reaches them only after the reply's parts, and the first
    readable part wins."""
    for part in text_parts(message, "text/plain"):
        text = decoded_text(part)
        if text is not None and text.strip():
            return text
    for part in text_parts(message, "text/html"):
        html = decoded_text(part)
        if html is not None:
            text = html_to_text(html)
            if text:
                return text
    return None


def header(message: Message, name: str) -> str:
    """A header as str, '' when missing or unparseable (a defect is not a crash)."""
    try:
        value = message.get(name)
    except Exception:  # the header parser of policy.default can raise on odd input
        return ""
    return str(value).strip() if value is not None else ""

"""One stored Gmail message: the RFC 822 bytes as the client sent them (plus what Gmail
adds), parsed once, and rendered as a Gmail API `Message` resource in any of its formats.
"""

from __future__ import annotations

import base64
import email
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from salesagent_dagster.sandbox.http_server import ApiError

FORMATS = ("full", "metadata", "minimal", "raw")
_PREFIX = re.compile(r"^(\s*(re|fwd?|aw|wg|sv)\s*:\s*)+", re.IGNORECASE)


def b64url(data: bytes) -> str:
    """Gmail's base64url, padded (`urlsafe_b64decode` takes it as is)."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def base_subject(subject: str) -> str:
    return _PREFIX.sub("", subject).strip().lower()


def _snippet(text: str) -> str:
    """Gmail's snippet: whitespace collapsed, HTML-escaped, about 200 characters."""
    collapsed = " ".join(text.split())[:200]
    for plain, escaped in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&quot;"),
        ("'", "&#39;"),
    ):
        collapsed = collapsed.replace(plain, escaped)
    return collapsed


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    label_ids: list[str]
    raw: bytes
    internal_date_ms: int
    history_id: int = 0
    parsed: EmailMessage = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parsed = email.message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)  # policy.default builds EmailMessage
        self.parsed = parsed

    def header(self, name: str) -> str:
        """Decoded (RFC 2047) value, '' when absent."""
        value = self.parsed.get(name)
        return "" if value is None else str(value)

    @property
    def text(self) -> str:
        part = self.parsed.get_body(("plain", "html"))
        if part is None:
            return ""
        try:
            content = part.get_content()
        except (LookupError, UnicodeError):  # an unknown or lying charset in inbound mail
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if part.get_content_type() == "text/html":
            content = re.sub(r"<[^>]+>", " ", content)
        return str(content)

    @property
    def has_attachment(self) -> bool:
        return any(part.get_filename() for part in self.parsed.walk())

    @property
    def recipients(self) -> list[str]:
        fields = [self.header(name) for name in ("To", "Cc", "Bcc")]
        return [address.lower() for _, address in getaddresses(fields) if address]

    def ref(self, with_labels: bool = False) -> dict[str, Any]:
        ref: dict[str, Any] = {"id": self.id, "threadId": self.thread_id}
        if with_labels:
            ref["labelIds"] = list(self.label_ids)
        return ref

    def resource(
        self, fmt: str = "full", metadata_headers: list[str] | None = None
    ) -> dict[str, Any]:
        if fmt not in FORMATS:
            raise ApiError(400, f"Invalid value at 'format' ({fmt})")
        base: dict[str, Any] = {
            **self.ref(with_labels=True),
            "snippet": _snippet(self.text),
            "historyId": str(self.history_id),
            "internalDate": str(self.internal_date_ms),
            "sizeEstimate": len(self.raw),
        }
        if fmt == "minimal":
            return base
        if fmt == "raw":
            return {**base, "raw": b64url(self.raw)}
        payload = _payload(self.parsed, "", headers_only=fmt == "metadata")
        if fmt == "metadata" and metadata_headers:
            wanted = {h.lower() for h in metadata_headers}
            payload["headers"] = [h for h in payload["headers"] if h["name"].lower() in wanted]
        return {**base, "payload": payload}


def _payload(part: EmailMessage, part_id: str, headers_only: bool) -> dict[str, Any]:
    node: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": [{"name": name, "value": str(value)} for name, value in part.items()],
    }
    if headers_only:
        return node
    if part.is_multipart():
        node["body"] = {"size": 0}
        node["parts"] = [
            _payload(child, f"{part_id}.{index}" if part_id else str(index), False)
            for index, child in enumerate(part.iter_parts())
            if isinstance(child, EmailMessage)
        ]
    else:
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        node["body"] = {"size": len(data), "data": b64url(data)} if data else {"size": 0}
    return node

"""Sentry's `before_send` / `before_breadcrumb`: nothing about a lead leaves the process.

Sentry events carry more than the message: log arguments, stack-frame locals, request
bodies, extras and breadcrumbs (every INFO log line and every HTTP call, URLs included).
The scrubber keeps what an engineer needs to fix a fault (exception type, stack, the log
format string, opaque partition keys) and removes the rest:

- every string anywhere in the event loses its email addresses;
- log arguments are dropped and the message goes back to its format string, because the
  arguments are where names and message text arrive (`log.info("lead %s", name)`);
- stack-frame local variables, request bodies, cookies and user data are dropped;
- values under keys that name personal fields (name, email, message, body, ...) are dropped.

Exception messages are kept (after email redaction): our error classes are written without
request data (see `resources/hubspot.py: _error_message`). A name inside a third-party
exception message cannot be recognised and would pass.
"""

from __future__ import annotations

import re
from typing import Any

from salesagent_dagster.observability.redaction import redact_emails

REMOVED = "[removed]"

# Keys whose values are personal data or free text written by or to a lead.
_PERSONAL_KEY = re.compile(
    r"(^|_)(first_?name|last_?name|full_?name|name|e?mail|email_address|address|recipient|"
    r"phone|company|message|body|body_text|text|subject|raw|payload|preview|values|"
    r"job_?title|to|from|cc|bcc)$",
    re.IGNORECASE,
)
# Sentry's own structural keys that match the pattern above but hold no personal data.
_STRUCTURAL_KEYS = frozenset({"name", "message"})
_STRUCTURAL_PARENTS = frozenset({"sdk", "runtime", "os", "device", "app", "trace", "thread"})


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """`before_send` (and `before_send_transaction`): a scrubbed copy of the event."""
    event = dict(event)
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = {
            k: v for k, v in request.items() if k not in ("data", "cookies", "query_string")
        }
        if "url" in event["request"]:
            event["request"]["url"] = str(event["request"]["url"]).split("?", 1)[0]
    _restore_format_string(event.get("logentry"))
    for exception in (event.get("exception") or {}).get("values") or []:
        _drop_frame_vars(exception.get("stacktrace"))
    for thread in (event.get("threads") or {}).get("values") or []:
        _drop_frame_vars(thread.get("stacktrace"))
    if isinstance(event.get("extra"), dict):
        event["extra"] = _scrub_mapping(event["extra"], parent="extra")
    if isinstance(event.get("breadcrumbs"), dict):
        values = event["breadcrumbs"].get("values") or []
        kept = [scrub_breadcrumb(crumb) for crumb in values]
        event["breadcrumbs"] = {**event["breadcrumbs"], "values": [c for c in kept if c]}
    return _redact_strings(event)


def scrub_breadcrumb(
    crumb: dict[str, Any], hint: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """`before_breadcrumb`: log breadcrumbs lose their arguments, HTTP ones their query."""
    crumb = dict(crumb)
    data = crumb.get("data")
    if isinstance(data, dict):
        data = _scrub_mapping(data, parent="breadcrumb")
        for url_key in ("url", "http.query"):
            if url_key in data:
                data[url_key] = str(data[url_key]).split("?", 1)[0] if url_key == "url" else ""
        crumb["data"] = data
    record = (hint or {}).get("log_record")
    if record is not None and getattr(record, "args", None):
        # A log breadcrumb's message is the formatted line; keep the format string only.
        crumb["message"] = str(record.msg)
    return _redact_strings(crumb)


def _restore_format_string(logentry: Any) -> None:
    if not isinstance(logentry, dict):
        return
    if logentry.get("params"):
        logentry["params"] = []
        logentry["formatted"] = logentry.get("message", "")


def _drop_frame_vars(stacktrace: Any) -> None:
    if isinstance(stacktrace, dict):
        for frame in stacktrace.get("frames") or []:
            frame.pop("vars", None)


def _scrub_mapping(mapping: dict[str, Any], parent: str) -> dict[str, Any]:
    scrubbed: dict[str, Any] = {}
    for key, value in mapping.items():
        personal = bool(_PERSONAL_KEY.search(str(key)))
        if personal and not (key in _STRUCTURAL_KEYS and parent in _STRUCTURAL_PARENTS):
            scrubbed[key] = REMOVED
        elif isinstance(value, dict):
            scrubbed[key] = _scrub_mapping(value, parent=str(key))
        else:
            scrubbed[key] = value
    return scrubbed


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return redact_emails(value)
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_strings(item) for item in value]
    return value

"""Email addresses out of every log line, wherever the line comes from (DESIGN I-6).

A `logging.Filter` on a logger sees only records logged *to that logger*, not those that
propagate from its children, and Dagster builds a fresh `DagsterLogManager` per run that no
logger tree knows. So `install_log_redaction` does both: the filter on the root and `dagster`
loggers and their handlers, and a record factory that redacts every record as it is created,
before any handler, the event log or the compute log capture sees it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

# Local part and domain, with the @ also in its URL-encoded form (%40): addresses travel in
# query strings (owner lookups, Gmail searches) and HTTP libraries log URLs. `/`, `=` and `?`
# are legal in a local part but would swallow the URL around an address; no lead uses them.
EMAIL_PATTERN = re.compile(
    r"[\w.!#$%&'*+^`{|}~-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+",
    re.UNICODE,
)
REDACTED_EMAIL = "[email redacted]"

_install_lock = threading.Lock()
_installed_factory: Callable[..., logging.LogRecord] | None = None
_previous_factory: Callable[..., logging.LogRecord] = logging.LogRecord


def redact_emails(text: str) -> str:
    """`text` with every email address replaced by a marker."""
    if "@" not in text and "%40" not in text:
        return text
    return EMAIL_PATTERN.sub(REDACTED_EMAIL, text)


class EmailRedactingFilter(logging.Filter):
    """Rewrites a record's message (with its arguments merged in) without the addresses.

    Never drops a record: a log line without the address is still worth having.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact the message and each string argument in place; exception text too.

    Arguments stay arguments when they can be redacted one by one, so handlers that keep the
    format string apart from its arguments (Sentry) can still drop the arguments.
    """
    record.msg = redact_emails(record.msg) if isinstance(record.msg, str) else record.msg
    args = record.args
    if isinstance(args, tuple) and args:
        record.args = tuple(_redact_arg(arg) for arg in args)
    elif isinstance(args, dict) and args:
        record.args = {key: _redact_arg(value) for key, value in args.items()}
    if not isinstance(record.msg, str):
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg, record.args = redact_emails(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_emails(record.exc_text)
    return record


def _redact_arg(arg: Any) -> Any:
    """A string argument redacted; any other whose text holds an address becomes that text."""
    if isinstance(arg, str):
        return redact_emails(arg)
    if isinstance(arg, (int, float, bool)) or arg is None:
        return arg
    text = str(arg)
    return redact_emails(text) if redact_emails(text) != text else arg


def install_log_redaction() -> None:
    """Redact email addresses from every log record in this process (idempotent).

    Call it once at import of the code location (definitions), in the CLI and in the daemon.
    """
    global _installed_factory, _previous_factory
    with _install_lock:
        if _installed_factory is not None:
            return
        previous = _previous_factory = logging.getLogRecordFactory()

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return redact_record(previous(*args, **kwargs))

        logging.setLogRecordFactory(redacting_factory)
        _installed_factory = redacting_factory
        log_filter = EmailRedactingFilter()
        for logger in (logging.getLogger(), logging.getLogger("dagster")):
            _add_once(logger, log_filter)
            for handler in logger.handlers:
                _add_once(handler, log_filter)


def uninstall_log_redaction() -> None:
    """Undo `install_log_redaction` (tests that need to see the unredacted behaviour)."""
    global _installed_factory
    with _install_lock:
        if _installed_factory is None:
            return
        if logging.getLogRecordFactory() is _installed_factory:
            logging.setLogRecordFactory(_previous_factory)
        _installed_factory = None
        for logger in (logging.getLogger(), logging.getLogger("dagster")):
            for target in (logger, *logger.handlers):
                for existing in list(target.filters):
                    if isinstance(existing, EmailRedactingFilter):
                        target.removeFilter(existing)


def _add_once(target: logging.Filterer, log_filter: logging.Filter) -> None:
    if not any(isinstance(existing, EmailRedactingFilter) for existing in target.filters):
        target.addFilter(log_filter)

"""Typed errors for external services: the retry policy depends on the type (DESIGN I-5)."""

from __future__ import annotations


class ServiceError(Exception):
    """A call to HubSpot or Gmail failed; `service` says which."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service


class TransientServiceError(ServiceError):
    """Worth another try later: timeouts, connection errors, 429 and 5xx answers."""

    def __init__(self, service: str, message: str, retry_after_seconds: float | None = None):
        super().__init__(service, message)
        self.retry_after_seconds = retry_after_seconds


class PermanentServiceError(ServiceError):
    """Another try gives the same answer: bad request, not found, forbidden."""


class NotFound(PermanentServiceError):
    """The service has no such object (HTTP 404). Erasure counts that as done."""


class InvalidRequest(PermanentServiceError):
    """The service refused the request as malformed (HTTP 400)."""


class HistoryTooOld(NotFound):
    """Gmail no longer keeps history that far back (history.list answered 404): the caller
    resyncs from a window of recent messages and starts again from a fresh historyId."""


class AuthorizationRevoked(PermanentServiceError):
    """The mailbox's grant is gone; a person must reconnect Gmail. Never retried."""


class UnclearSendOutcome(TransientServiceError):
    """Gmail may or may not have accepted the message. Reconcile before any new attempt."""


def retry_after_from_headers(headers: object) -> float | None:
    """Seconds from a Retry-After header, if the answer carried a numeric one."""
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    value = getter("Retry-After") or getter("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def is_transient_status(status: int) -> bool:
    return status == 429 or status >= 500

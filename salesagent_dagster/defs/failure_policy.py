"""How a step's failure becomes a retry or a dead letter (DESIGN I-5).

Transient errors (timeouts, 429, 5xx) are retried with exponential backoff and jitter, and
a Retry-After from the service is honoured; permanent errors fail the step at once, so no
retry is burnt on an answer that will not change. A run that fails anyway is a dead letter.
"""

from __future__ import annotations

import functools
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from dagster import Backoff, Failure, Jitter, RetryPolicy, RetryRequested

from salesagent_dagster.domain.circuit_breaker import BreakerSettings
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.errors import PermanentServiceError, TransientServiceError
from salesagent_dagster.settings import load_settings
from salesagent_dagster.store import circuit_breakers
from salesagent_dagster.store.models import utc_now

EXTERNAL_CALL_RETRIES = 4
# Waiting out an open breaker is not a failed attempt: it has its own, larger budget.
BREAKER_MAX_WAITS = 60
external_call_retry_policy = RetryPolicy(
    max_retries=EXTERNAL_CALL_RETRIES,
    delay=1.0,
    backoff=Backoff.EXPONENTIAL,
    jitter=Jitter.PLUS_MINUS,
)


@contextmanager
def classified_failures() -> Iterator[None]:
    try:
        yield
    except PermanentServiceError as exc:
        raise Failure(
            description=str(exc),
            metadata={"error_class": type(exc).__name__, "service": exc.service},
            allow_retries=False,
        ) from exc
    except TransientServiceError as exc:
        if exc.retry_after_seconds is not None:
            # The service said when to come back: wait that long (plus jitter), not our guess.
            wait = exc.retry_after_seconds + random.uniform(0, 1)  # noqa: S311
            raise RetryRequested(max_retries=EXTERNAL_CALL_RETRIES, seconds_to_wait=wait) from exc
        raise


def breaker_settings() -> BreakerSettings:
    """From the environment as it is now. Read once per value of its two variables: every
    external call asks for it, and parsing all the settings is ~5 ms (a batch run makes
    six such calls per lead)."""
    return _breaker_settings(
        os.environ.get("SALESAGENT_BREAKER_FAILURES"),
        os.environ.get("SALESAGENT_BREAKER_OPEN_SECONDS"),
    )


@functools.lru_cache(maxsize=8)
def _breaker_settings(failures: str | None, open_seconds: str | None) -> BreakerSettings:
    settings = load_settings()
    return BreakerSettings(
        failure_threshold=settings.breaker_failures,
        open_for=timedelta(seconds=settings.breaker_open_seconds),
    )


@contextmanager
def circuit_breakers_for(app_store: AppStoreResource, *services: str) -> Iterator[None]:
    """Ask each service's breaker before calling; report how the calls went afterwards.

    An open breaker makes the step wait (RetryRequested until the breaker's open period is
    over), so an outage pauses work instead of spending every lead's retries. Only transient
    failures count against a service: a 4xx says nothing about an outage.
    """
    settings = breaker_settings()
    waits = []
    with app_store.session() as session:
        for service in services:
            admission = circuit_breakers.request_admission(session, service, utc_now(), settings)
            if not admission.allowed and admission.retry_in is not None:
                waits.append(admission.retry_in.total_seconds())
    if waits:
        raise RetryRequested(max_retries=BREAKER_MAX_WAITS, seconds_to_wait=max(waits))
    try:
        yield
    except TransientServiceError as exc:
        _report(app_store, [exc.service], succeeded=False, settings=settings)
        raise
    except PermanentServiceError:
        raise
    else:
        _report(app_store, list(services), succeeded=True, settings=settings)


def _report(
    app_store: AppStoreResource, services: list[str], succeeded: bool, settings: BreakerSettings
) -> None:
    with app_store.session() as session:
        for service in services:
            circuit_breakers.report(session, service, succeeded, utc_now(), settings)

"""How a step's failure becomes a retry or a dead letter (DESIGN I-5).

Transient errors (timeouts, 429, 5xx) are retried with exponential backoff and jitter, and
a Retry-After from the service is honoured; permanent errors fail the step at once, so no
retry is burnt on an answer that will not change. A run that fails anyway is a dead letter.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Backoff, Failure, Jitter, RetryPolicy, RetryRequested

from salesagent_dagster.resources.errors import PermanentServiceError, TransientServiceError

EXTERNAL_CALL_RETRIES = 4
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

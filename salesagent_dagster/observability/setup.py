"""One call that every entry point makes: redacted logs, and Sentry when configured."""

from __future__ import annotations

from salesagent_dagster.observability.redaction import install_log_redaction
from salesagent_dagster.observability.sentry_setup import init_sentry

_done = False


def init_observability() -> None:
    """Idempotent: definitions.py, the CLI and tests may all call it."""
    global _done
    if _done:
        return
    install_log_redaction()
    init_sentry()
    _done = True

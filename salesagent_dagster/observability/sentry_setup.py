"""Sentry, when SENTRY_DSN is set: errors reach the team, personal data does not.

Called at import of the code location, so the code server, every run worker and the CLI
report to the same project. Without SENTRY_DSN nothing is initialised and nothing is sent.
"""

from __future__ import annotations

from salesagent_dagster.observability.sentry_scrubber import scrub_breadcrumb, scrub_event
from salesagent_dagster.settings import load_settings


def init_sentry(dsn: str | None = None) -> bool:
    """Initialise sentry-sdk from SENTRY_DSN (or `dsn`); True when it is now reporting.

    `data_collection` (sentry-sdk 2.x, superseding `send_default_pii`) turns off what the SDK
    would add itself: user and IP, cookies, HTTP bodies, query strings, database query data,
    stack-frame locals (leads, drafts); the scrubber catches what is left (log arguments,
    extras, breadcrumbs, addresses in any string).
    """
    settings = load_settings()
    dsn = (dsn if dsn is not None else settings.sentry_dsn).strip()
    if not dsn:
        return False
    # Imported only when it will report: every process loading the code location calls
    # this, and without a DSN the SDK's import (~0.25 CPU-s) would buy nothing.
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=settings.sentry_environment or None,
        release=settings.sentry_release or None,
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
            "gen_ai": {"inputs": False, "outputs": False},
        },
        include_local_variables=False,
        traces_sample_rate=settings.sentry_traces_sample_rate,
        before_send=scrub_event,  # type: ignore[arg-type]
        before_send_transaction=scrub_event,  # type: ignore[arg-type]
        before_breadcrumb=scrub_breadcrumb,
    )
    return True

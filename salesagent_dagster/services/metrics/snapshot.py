"""Reading a Figures snapshot, and keeping it for a few seconds.

A short cache makes a scrape's cost independent of how many scrapers or dashboard reloads
there are: two Prometheus replicas, a curl and `salesagent status` within `ttl_seconds`
share one read. A source that fails is reported as missing (its `up` is 0), never raised:
`/metrics` must answer while the app DB or the instance is down, or nothing alerts.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from dagster import DagsterInstance
from sqlalchemy.orm import Session

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.metrics.figures import (
    Figures,
    RunningSums,
    read_app_figures,
    utc_now,
)
from salesagent_dagster.services.metrics.instance_figures import read_instance_figures

log = logging.getLogger(__name__)
DEFAULT_TTL_SECONDS = 10.0


def read_figures(
    session_factory: Callable[[], AbstractContextManager[Session]],
    fingerprint: Callable[[str], str],
    instance: DagsterInstance | None,
    review_sla_seconds: float,
    sums: RunningSums | None = None,
) -> Figures:
    started = time.perf_counter()
    try:
        with session_factory() as session:
            app = read_app_figures(session, fingerprint, sums)
    except Exception as exc:
        log.warning("metrics: app DB unreadable: %s", type(exc).__name__)
        app = None
    try:
        dagster = read_instance_figures(instance) if instance is not None else None
    except Exception as exc:
        log.warning("metrics: Dagster instance unreadable: %s", type(exc).__name__)
        dagster = None
    return Figures(utc_now(), review_sla_seconds, app, dagster, time.perf_counter() - started)


class CachedFigures:
    """`get()` returns the last snapshot while it is younger than `ttl_seconds`."""

    def __init__(self, read: Callable[[], Figures], ttl_seconds: float = DEFAULT_TTL_SECONDS):
        self._read = read
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._figures: Figures | None = None
        self._read_at = 0.0

    def get(self) -> Figures:
        with self._lock:  # one read at a time: concurrent scrapes wait for it, not repeat it
            if self._figures is None or time.monotonic() - self._read_at >= self._ttl:
                self._figures = self._read()
                self._read_at = time.monotonic()
            return self._figures


class InstanceOpener:
    """The Dagster instance of DAGSTER_HOME, opened at the first read and kept: the edge
    and the CLI run outside Dagster, and a process without DAGSTER_HOME has none (its
    instance figures are then missing, the app DB's still served)."""

    def __init__(self) -> None:
        self._instance: DagsterInstance | None = None

    def __call__(self) -> DagsterInstance | None:
        if self._instance is None and os.environ.get("DAGSTER_HOME"):
            try:
                self._instance = DagsterInstance.get()
            except Exception as exc:
                log.warning("metrics: Dagster instance unavailable: %s", type(exc).__name__)
        return self._instance


def figures_source(
    app_store: AppStoreResource,
    outreach: OutreachSettings,
    review_sla_seconds: float,
    instance: Callable[[], DagsterInstance | None] | None = None,
    ttl_seconds: float = DEFAULT_TTL_SECONDS,
) -> CachedFigures:
    """The snapshot the edge's `/metrics` and `salesagent status` read."""
    opener = instance or InstanceOpener()
    sums = RunningSums()  # kept across reads: each ledger and decision row counted once
    return CachedFigures(
        lambda: read_figures(
            app_store.session, outreach.fingerprint, opener(), review_sla_seconds, sums
        ),
        ttl_seconds,
    )

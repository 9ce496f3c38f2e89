"""Sentry events leave without addresses, names or message text (DESIGN I-6), checked on the
envelopes a local fake Sentry endpoint receives over HTTP."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
import sentry_sdk

from salesagent_dagster.observability.sentry_setup import init_sentry
from salesagent_dagster_tests.observability.fake_sentry import FakeSentry, fake_sentry

ADDRESS = "priya@northwind-logistics.com"
FIRST, LAST = "Priya", "Natarajan"
MESSAGE_TEXT = "We route 4,000 shipments a day"
NEEDLES = (ADDRESS, "northwind-logistics", FIRST, LAST, "4,000 shipments")


def _report_a_failing_lead() -> None:
    """What a failing step could hand Sentry: extras, breadcrumbs, a log error, locals."""
    log = logging.getLogger("salesagent.tests.sentry")
    log.setLevel(logging.INFO)
    sentry_sdk.set_extra("first_name", FIRST)
    sentry_sdk.set_extra("lead", {"email": ADDRESS, "message": MESSAGE_TEXT, "key": "sub_1"})
    log.info("enriching %s %s <%s>", FIRST, LAST, ADDRESS)
    log.error("draft for %s %s failed: %s", FIRST, LAST, MESSAGE_TEXT)
    lead_name = f"{FIRST} {LAST}"  # a local variable a stack frame would carry
    try:
        raise ValueError(f"cannot write to {ADDRESS} ({len(lead_name)})")
    except ValueError as exc:
        sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=5)


@pytest.fixture
def sentry_endpoint() -> Iterator[FakeSentry]:
    with fake_sentry() as endpoint:
        yield endpoint
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.init(dsn=None)


def _captured(endpoint: FakeSentry, init: Callable[[str], object]) -> str:
    init(endpoint.dsn)
    with sentry_sdk.new_scope():
        _report_a_failing_lead()
    return endpoint.text()


def test_scrubbed_events_reach_sentry_without_address_name_or_message(sentry_endpoint):
    text = _captured(sentry_endpoint, init_sentry)
    # The events did arrive, with what an engineer needs to fix the fault.
    assert "ValueError" in text
    assert "draft for %s %s failed: %s" in text
    assert "sub_1" in text
    assert [needle for needle in NEEDLES if needle.lower() in text.lower()] == []


def test_without_the_scrubber_the_same_events_would_leak(sentry_endpoint):
    """The scan above can fail: an unscrubbed client sends every needle."""

    def plain_init(dsn: str) -> None:
        sentry_sdk.init(dsn=dsn, default_integrations=True)

    text = _captured(sentry_endpoint, plain_init)
    assert {needle for needle in NEEDLES if needle.lower() in text.lower()} == set(NEEDLES)


def test_no_dsn_means_no_sentry(monkeypatch):
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    assert init_sentry() is False

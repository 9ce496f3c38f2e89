"""A 404 is a typed `NotFound` (a permanent error), so erasure can tell "already gone" from a
refusal without reading the message."""

from __future__ import annotations

import pytest

from salesagent_dagster.resources.errors import (
    NotFound,
    PermanentServiceError,
    TransientServiceError,
)
from salesagent_dagster_tests.resources.conftest import (
    gmail_resource,
    hubspot_resource,
    raw_message,
)


@pytest.fixture
def gmail(gmail_emulator):
    return gmail_resource(gmail_emulator)


def draft_raw() -> str:
    return raw_message("<not-found-1@seller.example>")


def test_not_found_is_a_permanent_error():
    assert issubclass(NotFound, PermanentServiceError)


def test_gmail_draft_already_deleted_is_reported_gone_not_raised(gmail):
    draft = gmail.create_draft(draft_raw())
    assert draft.draft_id is not None
    assert gmail.delete_draft(draft.draft_id) is True
    assert gmail.delete_draft(draft.draft_id) is False


def test_gmail_404_is_raised_as_not_found(gmail):
    with pytest.raises(NotFound) as caught:
        gmail._call(
            "drafts.get",
            lambda: gmail.service.users().drafts().get(userId="me", id="r-missing").execute(),
        )
    assert caught.value.service == "Gmail"


def test_hubspot_engagement_already_gone_is_reported_gone_not_raised(hubspot_emulator):
    hubspot_emulator.add_fault(
        path="/crm/v3/objects/emails/", method="DELETE", status=404, mode="status"
    )
    assert hubspot_resource(hubspot_emulator).archive_engagement("emails", "123") is False


def test_hubspot_other_refusals_are_still_raised(hubspot_emulator):
    hubspot_emulator.add_fault(
        path="/crm/v3/objects/emails/", method="DELETE", status=400, mode="status"
    )
    with pytest.raises(PermanentServiceError) as caught:
        hubspot_resource(hubspot_emulator).archive_engagement("emails", "123")
    assert not isinstance(caught.value, NotFound)
    assert "HTTP 400" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, NotFound), (403, PermanentServiceError), (503, TransientServiceError)],
)
def test_hubspot_status_subclasses_of_api_exception_are_translated(
    hubspot_emulator, status, expected
):
    """The generated client answers 401/403/404/5xx with subclasses of its ApiException
    (NotFoundException, ServiceException): they are typed like the plain ones."""
    hubspot_emulator.add_fault(
        path="/crm/v3/objects/tasks$", method="POST", status=status, mode="status"
    )
    with pytest.raises(expected) as caught:
        hubspot_resource(hubspot_emulator).create_task("1", {"hs_timestamp": "x"})
    assert f"HTTP {status}" in str(caught.value)

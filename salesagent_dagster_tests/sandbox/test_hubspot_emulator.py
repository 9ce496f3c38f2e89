"""The HubSpot emulator through the official `hubspot-api-client`, unmodified."""

from __future__ import annotations

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import (
    ApiException,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)

from salesagent_dagster.sandbox import start_hubspot_emulator
from salesagent_dagster.sandbox.hubspot_emulator import DEFAULT_FORM_ID

TOKEN = "test-token"


@pytest.fixture
def emulator():
    with start_hubspot_emulator(access_token=TOKEN) as running:
        yield running


@pytest.fixture
def client(emulator):
    return HubSpot(access_token=TOKEN, host=emulator.url, base_url=emulator.url)


def submissions(client, form_id=DEFAULT_FORM_ID, **query):
    return client.api_request(
        {"method": "GET", "path": f"/form-integrations/v1/submissions/forms/{form_id}", "qs": query}
    )


def test_contacts_create_get_search_update_and_conflict(client):
    created = client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
            properties={"email": "Ana@Acme.io", "firstname": "Ana"}
        )
    )
    assert created.properties["email"] == "ana@acme.io"
    assert created.created_at is not None and created.archived is False
    by_email = client.crm.contacts.basic_api.get_by_id("ana@acme.io", id_property="email")
    assert by_email.id == created.id
    page = client.crm.contacts.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[
                {"filters": [{"propertyName": "email", "operator": "EQ", "value": "ana@acme.io"}]}
            ],
            properties=["firstname"],
        )
    )
    assert (page.total, page.results[0].properties["firstname"]) == (1, "Ana")
    client.crm.contacts.basic_api.update(
        created.id, simple_public_object_input={"properties": {"jobtitle": "CTO"}}
    )
    assert (
        client.crm.contacts.basic_api.get_by_id(created.id, properties=["jobtitle"]).properties[
            "jobtitle"
        ]
        == "CTO"
    )
    with pytest.raises(ApiException) as conflict:
        client.crm.contacts.basic_api.create(
            simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                properties={"email": "ana@acme.io"}
            )
        )
    assert conflict.value.status == 409


def test_company_association_and_engagements(emulator, client):
    company = emulator.add_company({"name": "Acme", "domain": "acme.io"})
    contact = emulator.add_contact({"email": "bo@acme.io"})
    client.crm.associations.v4.basic_api.create_default(
        "contacts", contact["id"], "companies", company["id"]
    )
    fetched = client.crm.contacts.basic_api.get_by_id(contact["id"], associations=["companies"])
    assert fetched.associations["companies"].results[0].id == company["id"]
    email = client.crm.objects.emails.basic_api.create(
        simple_public_object_input_for_create={
            "properties": {"hs_timestamp": "2026-11-25T10:00:00.000Z", "hs_email_subject": "Hi"},
            "associations": [{"to": {"id": contact["id"]}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 198}]}],
        }
    )  # fmt: skip
    assert ("emails", email.id, "contacts", contact["id"]) in emulator.state()["associations"] or [
        "emails", email.id, "contacts", contact["id"]] in emulator.state()["associations"]  # fmt: skip


def test_owners_page(client):
    page = client.crm.owners.owners_api.get_page(email="riley@seller.example")
    assert page.results[0].email == "riley@seller.example"


def test_bad_token_is_a_401_in_hubspot_error_shape(emulator):
    bad = HubSpot(access_token="wrong", host=emulator.url)
    with pytest.raises(ApiException) as caught:
        bad.crm.contacts.basic_api.get_page()
    assert caught.value.status == 401
    assert '"category": "INVALID_AUTHENTICATION"' in caught.value.body


def test_injected_429_carries_retry_after(emulator, client):
    # A POST: for GETs, urllib3 under the generated client honours Retry-After on 429/503
    # by itself and repeats the request (a wire fact worth knowing; see the issue note).
    emulator.add_fault(path="/crm/v3/objects/contacts", mode="status", status=429, retry_after=7)
    with pytest.raises(ApiException) as caught:
        client.crm.contacts.basic_api.create(
            simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                properties={"email": "x@y.io"}
            )
        )
    assert caught.value.status == 429
    assert caught.value.headers["Retry-After"] == "7"


def test_unknown_form_and_oversized_limit(client):
    assert submissions(client, form_id="nope", limit=10).status_code == 404
    assert submissions(client, limit=51).status_code == 400


def test_paging_is_stable_when_new_submissions_arrive_mid_way(emulator, client):
    for index in range(60):
        emulator.add_submission(
            DEFAULT_FORM_ID, {"email": f"p{index}@x.io"}, submitted_at_ms=1_000_000 + index
        )
    first = submissions(client, limit=50).json()
    emulator.add_submission(DEFAULT_FORM_ID, {"email": "late@x.io"}, submitted_at_ms=2_000_000)
    second = submissions(client, limit=50, after=first["paging"]["next"]["after"]).json()
    seen = [item["values"][0]["value"] for item in first["results"] + second["results"]]
    assert len(seen) == 60 == len(set(seen))
    assert seen[0] == "p59@x.io" and "paging" not in second

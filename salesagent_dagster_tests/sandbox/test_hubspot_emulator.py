"""The HubSpot emulator through the official `hubspot-api-client`, unmodified: if these pass,
the product's calls deserialize into the client's models exactly as against HubSpot."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.companies import ApiException as CompanyApiException
from hubspot.crm.contacts import (
    ApiException,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.emails import ApiException as EmailApiException
from hubspot.crm.objects.tasks import ApiException as TaskApiException

from salesagent_dagster.sandbox import start_hubspot_emulator
from salesagent_dagster.sandbox.hubspot_emulator import DEFAULT_FORM_ID

TOKEN = "test-token"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def emulator():
    with start_hubspot_emulator(access_token=TOKEN) as running:
        yield running


@pytest.fixture
def client(emulator):
    return HubSpot(access_token=TOKEN, host=emulator.url, base_url=emulator.url)


def submissions(client, form_id=DEFAULT_FORM_ID, **query):
    path = f"/form-integrations/v1/submissions/forms/{form_id}"
    return client.api_request({"method": "GET", "path": path, "qs": query})


def create_contact(client, **properties):
    return client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
            properties=properties
        )
    )


def search_contacts(client, *filters, **extra):
    request = PublicObjectSearchRequest(filter_groups=[{"filters": list(filters)}], **extra)
    return client.crm.contacts.search_api.do_search(public_object_search_request=request)


def error_of(caught):
    return json.loads(caught.value.body)


# -- forms and submissions ----------------------------------------------------------------


def test_forms_list_deserializes_through_the_generated_forms_api(client):
    page = client.marketing.forms.forms_api.get_page()
    (form,) = page.results
    assert (form.id, form.name, form.form_type, form.archived) == (
        DEFAULT_FORM_ID,
        "Demo request",
        "hubspot",
        False,
    )
    assert [f.name for f in form.field_groups[0].fields][:2] == ["email", "firstname"]
    assert form.created_at.year >= 2024


def test_forms_list_answers_with_and_without_trailing_slash(emulator, client):
    emulator.add_form("Pricing", form_id="a3c7f0d2-2b1e-4f6a-8c9d-0e1f2a3b4c5d")
    for path in ("/marketing/v3/forms/", "/marketing/v3/forms"):
        body = client.api_request({"method": "GET", "path": path}).json()
        assert {f["name"] for f in body["results"]} == {"Demo request", "Pricing"}
        assert "paging" not in body


def test_submissions_come_newest_first_in_hubspots_shape(emulator, client):
    emulator.add_submission(DEFAULT_FORM_ID, {"email": "old@x.io"}, submitted_at_ms=1_000)
    newer = emulator.add_submission(
        DEFAULT_FORM_ID, {"email": "new@x.io", "firstname": "Ana"}, 2_000, "https://x.io/demo"
    )
    body = submissions(client, limit=10).json()
    assert "paging" not in body
    first = body["results"][0]
    assert first == {
        "submittedAt": 2_000,
        "values": [
            {"name": "email", "value": "new@x.io", "objectTypeId": "0-1"},
            {"name": "firstname", "value": "Ana", "objectTypeId": "0-1"},
        ],
        "pageUrl": "https://x.io/demo",
        "conversionId": newer["conversionId"],
    }
    assert body["results"][1]["values"][0]["value"] == "old@x.io"


def test_paging_is_stable_when_new_submissions_arrive_mid_way(emulator, client):
    for index in range(60):
        emulator.add_submission(DEFAULT_FORM_ID, {"email": f"p{index}@x.io"}, 1_000_000 + index)
    first = submissions(client, limit=50).json()
    assert first["paging"]["next"]["link"].startswith(emulator.url)
    emulator.add_submission(DEFAULT_FORM_ID, {"email": "late@x.io"}, submitted_at_ms=2_000_000)
    second = submissions(client, limit=50, after=first["paging"]["next"]["after"]).json()
    seen = [item["values"][0]["value"] for item in first["results"] + second["results"]]
    assert len(seen) == 60 == len(set(seen))
    assert seen[0] == "p59@x.io" and seen[-1] == "p0@x.io" and "paging" not in second
    assert submissions(client, limit=1).json()["results"][0]["values"][0]["value"] == "late@x.io"


def test_unknown_form_oversized_limit_and_bad_token_are_hubspot_errors(client):
    missing = submissions(client, form_id="5a0e2c1d-0000-4000-8000-000000000000", limit=10)
    assert missing.status_code == 404
    assert missing.json()["category"] == "OBJECT_NOT_FOUND"
    assert set(missing.json()) == {"status", "message", "correlationId", "category"}
    too_many = submissions(client, limit=51)
    assert (too_many.status_code, too_many.json()["category"]) == (400, "VALIDATION_ERROR")
    assert submissions(client, after="not-a-token").status_code == 400


def test_admin_routes_seed_forms_and_submissions_over_http(emulator):
    form = requests.post(f"{emulator.url}/_admin/forms", json={"name": "Trial"}, timeout=5).json()
    added = requests.post(
        f"{emulator.url}/_admin/submissions",
        json={"formId": form["id"], "values": [{"name": "email", "value": "a@b.io"}]},
        timeout=5,
    )
    assert added.status_code == 201 and added.json()["conversionId"]
    state = requests.get(f"{emulator.url}/_admin/state", timeout=5).json()
    assert state["submissions"][form["id"]][0]["values"] == [{"name": "email", "value": "a@b.io"}]
    assert requests.post(f"{emulator.url}/_admin/reset", timeout=5).status_code == 204
    assert form["id"] not in emulator.state()["submissions"]


# -- contacts -----------------------------------------------------------------------------


def test_contacts_create_get_by_email_update_and_conflict(client):
    created = create_contact(client, email="Ana@Acme.io", firstname="Ana", lifecyclestage="lead")
    assert created.properties["email"] == "ana@acme.io"
    assert created.properties["lifecyclestage"] == "lead"
    assert {"hs_object_id", "createdate", "lastmodifieddate"} <= set(created.properties)
    assert created.archived is False and created.created_at.tzinfo is not None
    by_email = client.crm.contacts.basic_api.get_by_id("ANA@acme.io", id_property="email")
    assert by_email.id == created.id
    client.crm.contacts.basic_api.update(
        created.id,
        simple_public_object_input=SimplePublicObjectInput(properties={"jobtitle": "CTO"}),
    )
    fetched = client.crm.contacts.basic_api.get_by_id(created.id, properties=["jobtitle", "phone"])
    assert fetched.properties["jobtitle"] == "CTO" and fetched.properties["phone"] is None
    with pytest.raises(ApiException) as conflict:
        create_contact(client, email="ana@ACME.io")
    assert conflict.value.status == 409
    assert error_of(conflict) | {"correlationId": "x"} == {
        "status": "error",
        "message": f"Contact already exists. Existing ID: {created.id}",
        "correlationId": "x",
        "category": "CONFLICT",
    }


def test_records_carry_hubspot_timestamps_and_string_properties(emulator, client):
    raw = client.api_request(
        {
            "method": "POST",
            "path": "/crm/v3/objects/companies",
            "body": {"properties": {"name": "Acme", "numberofemployees": 250}},
        }
    ).json()
    assert raw["properties"]["numberofemployees"] == "250"
    assert ISO_MS.match(raw["createdAt"]) and ISO_MS.match(raw["updatedAt"])
    assert raw["properties"]["hs_object_id"] == raw["id"] and raw["archived"] is False


def test_unknown_property_invalid_option_and_bad_email_are_refused_like_hubspot(emulator, client):
    with pytest.raises(ApiException) as unknown:
        create_contact(client, email="a@b.io", favourite_colour="blue")
    assert unknown.value.status == 400
    assert "PROPERTY_DOESNT_EXIST" in error_of(unknown)["message"]
    with pytest.raises(ApiException) as option:
        create_contact(client, email="a@b.io", hs_lead_status="MAYBE")
    assert "INVALID_OPTION" in error_of(option)["message"]
    with pytest.raises(ApiException) as bad_email:
        create_contact(client, email="not-an-email")
    assert "INVALID_EMAIL" in error_of(bad_email)["message"]
    emulator.define_property("contacts", "favourite_colour")
    assert create_contact(client, email="a@b.io", favourite_colour="blue").id


def test_contacts_list_pages_with_after(emulator, client):
    for index in range(3):
        emulator.add_contact({"email": f"c{index}@x.io"})
    first = client.crm.contacts.basic_api.get_page(limit=2)
    second = client.crm.contacts.basic_api.get_page(limit=2, after=first.paging.next.after)
    emails = [c.properties["email"] for c in first.results + second.results]
    assert emails == ["c0@x.io", "c1@x.io", "c2@x.io"] and second.paging is None


SEARCH_CASES = [
    ({"propertyName": "email", "operator": "EQ", "value": "ANA@acme.io"}, ["ana"]),
    ({"propertyName": "firstname", "operator": "NEQ", "value": "Ana"}, ["bo", "cy"]),
    ({"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@acme.io"}, ["ana", "bo"]),
    ({"propertyName": "jobtitle", "operator": "HAS_PROPERTY"}, ["ana"]),
    ({"propertyName": "jobtitle", "operator": "NOT_HAS_PROPERTY"}, ["bo", "cy"]),
    ({"propertyName": "annualrevenue", "operator": "GT", "value": "100"}, ["cy"]),
    ({"propertyName": "annualrevenue", "operator": "GTE", "value": "100"}, ["bo", "cy"]),
    ({"propertyName": "annualrevenue", "operator": "LT", "value": "100"}, []),
    ({"propertyName": "annualrevenue", "operator": "LTE", "value": "100"}, ["bo"]),
    ({"propertyName": "firstname", "operator": "IN", "values": ["ana", "cy"]}, ["ana", "cy"]),
    ({"propertyName": "createdate", "operator": "GT", "value": "0"}, ["ana", "bo", "cy"]),
]


@pytest.mark.parametrize(("spec", "expected"), SEARCH_CASES)
def test_search_operators(emulator, client, spec, expected):
    emulator.add_contact({"email": "ana@acme.io", "firstname": "Ana", "jobtitle": "CTO"})
    emulator.add_contact({"email": "bo@acme.io", "firstname": "Bo", "annualrevenue": "100"})
    emulator.add_contact({"email": "cy@other.io", "firstname": "Cy", "annualrevenue": "5000"})
    page = search_contacts(client, spec, properties=["firstname"])
    assert sorted(r.properties["firstname"].lower() for r in page.results) == expected
    assert page.total == len(expected)


def test_search_sorts_pages_and_ors_filter_groups(emulator, client):
    for name in ("Cy", "Ana", "Bo"):
        emulator.add_contact({"email": f"{name.lower()}@x.io", "firstname": name})
    request = PublicObjectSearchRequest(
        filter_groups=[
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "Ana"}]},
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "Cy"}]},
        ],
        sorts=["-firstname"],
        properties=["firstname"],
        limit=1,
    )
    first = client.crm.contacts.search_api.do_search(public_object_search_request=request)
    request.after = first.paging.next.after
    second = client.crm.contacts.search_api.do_search(public_object_search_request=request)
    assert [
        first.results[0].properties["firstname"],
        second.results[0].properties["firstname"],
    ] == [
        "Cy",
        "Ana",
    ]
    assert (first.total, second.paging) == (2, None)


def test_search_refuses_what_hubspot_refuses(client):
    with pytest.raises(ApiException) as bad_operator:
        search_contacts(client, {"propertyName": "email", "operator": "LIKE", "value": "x"})
    assert bad_operator.value.status == 400
    with pytest.raises(ApiException) as too_big:
        search_contacts(client, limit=201)
    assert too_big.value.status == 400


# -- companies, associations, engagements, owners ------------------------------------------


def test_default_association_both_ways_with_primary_company(emulator, client):
    company = emulator.add_company({"name": "Acme", "domain": "acme.io"})
    contact = emulator.add_contact({"email": "bo@acme.io"})
    made = client.crm.associations.v4.basic_api.create_default(
        "contacts", contact["id"], "companies", company["id"]
    )
    assert made.status == "COMPLETE"
    pairs = {(r._from.id, r.to.id, r.association_spec.association_type_id) for r in made.results}
    assert (contact["id"], company["id"], 279) in pairs and (
        company["id"],
        contact["id"],
        280,
    ) in pairs
    assert (contact["id"], company["id"], 1) in pairs  # the first company becomes primary
    fetched = client.crm.contacts.basic_api.get_by_id(contact["id"], associations=["companies"])
    links = fetched.associations["companies"].results
    assert {(link.id, link.type) for link in links} == {
        (company["id"], "contact_to_company"),
        (company["id"], "contact_to_company_unlabeled"),
    }
    listed = client.crm.associations.v4.basic_api.get_page("companies", company["id"], "contacts")
    assert listed.results[0].to_object_id == contact["id"]
    assert sorted(t.type_id for t in listed.results[0].association_types) == [2, 280]
    company_view = client.crm.companies.basic_api.get_by_id(company["id"], properties=["domain"])
    assert company_view.properties["domain"] == "acme.io"


def test_emails_and_tasks_are_created_with_associations(emulator, client):
    contact = emulator.add_contact({"email": "bo@acme.io"})
    email = client.crm.objects.emails.basic_api.create(
        simple_public_object_input_for_create={
            "properties": {
                "hs_timestamp": "2026-11-25T10:00:00.000Z",
                "hs_email_subject": "Hi",
                "hs_email_direction": "EMAIL",
                "hs_email_status": "SENT",
            },
            "associations": [
                {
                    "to": {"id": contact["id"]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 198}],
                }
            ],
        }
    )
    task = client.crm.objects.tasks.basic_api.create(
        simple_public_object_input_for_create={
            "properties": {"hs_timestamp": "1790000000000", "hs_task_subject": "Follow up"},
            "associations": [
                {
                    "to": {"id": contact["id"]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}],
                }
            ],
        }
    )
    links = {
        (a["fromObjectType"], a["fromObjectId"], tuple(a["associationTypeIds"]))
        for a in emulator.state()["associations"]
        if a["toObjectId"] == contact["id"]
    }
    assert links == {("emails", email.id, (198,)), ("tasks", task.id, (204,))}
    assert email.properties["hs_email_subject"] == "Hi"


def test_engagements_need_a_timestamp_and_an_existing_target(emulator, client):
    with pytest.raises(TaskApiException) as no_timestamp:
        client.crm.objects.tasks.basic_api.create(
            simple_public_object_input_for_create={"properties": {"hs_task_subject": "x"}}
        )
    assert "hs_timestamp" in error_of(no_timestamp)["message"]
    with pytest.raises(EmailApiException) as dangling:
        client.crm.objects.emails.basic_api.create(
            simple_public_object_input_for_create={
                "properties": {"hs_timestamp": "2026-11-25T10:00:00.000Z"},
                "associations": [
                    {
                        "to": {"id": "999999"},
                        "types": [
                            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 198}
                        ],
                    }
                ],
            }
        )
    assert dangling.value.status == 400
    assert emulator.state()["objects"]["emails"] == []


def test_owners_are_seeded_and_filtered_by_email(emulator, client):
    page = client.crm.owners.owners_api.get_page(email="rep@example.com", limit=1)
    (owner,) = page.results
    assert (owner.email, owner.first_name, owner.archived) == ("rep@example.com", "Sample", False)
    added = emulator.add_owner("sam@seller.example", "Sam", "Lee")
    assert client.crm.owners.owners_api.get_by_id(int(added["id"])).last_name == "Lee"


def test_unknown_object_type_and_record_are_hubspot_errors(client):
    unknown_type = client.api_request({"method": "GET", "path": "/crm/v3/objects/widgets/1"})
    assert (unknown_type.status_code, unknown_type.json()["category"]) == (400, "VALIDATION_ERROR")
    with pytest.raises(CompanyApiException) as missing:  # each API package has its own classes
        client.crm.companies.basic_api.get_by_id("424242")
    assert missing.value.status == 404


# -- auth and faults ------------------------------------------------------------------------


def test_bad_or_missing_token_is_a_401_in_hubspot_error_shape(emulator):
    bad = HubSpot(access_token="wrong", host=emulator.url)
    with pytest.raises(ApiException) as caught:
        bad.crm.contacts.basic_api.get_page()
    assert caught.value.status == 401
    assert error_of(caught)["category"] == "INVALID_AUTHENTICATION"
    anonymous = requests.get(f"{emulator.url}/crm/v3/owners/", timeout=5)
    assert anonymous.status_code == 401 and "OAuth 2.0" in anonymous.json()["message"]


def test_injected_429_carries_retry_after_and_hubspots_rate_limit_body(emulator, client):
    emulator.add_fault(path="/crm/v3/objects/contacts", mode="status", status=429, retry_after=7)
    with pytest.raises(ApiException) as caught:
        create_contact(client, email="x@y.io")
    assert caught.value.status == 429
    assert caught.value.headers["Retry-After"] == "7"
    assert error_of(caught)["category"] == "RATE_LIMITS"
    assert emulator.state()["objects"]["contacts"] == []


def test_urllib3_under_the_client_retries_an_idempotent_429_by_itself(emulator, client):
    """Wire fact: GET/PUT/DELETE answered 429 or 503 with Retry-After are repeated by urllib3
    (3 retries, honouring Retry-After) before the generated API sees them."""
    contact = emulator.add_contact({"email": "a@b.io"})
    emulator.add_fault(path="/crm/v3/objects/contacts/", mode="status", status=429, retry_after=0)
    assert client.crm.contacts.basic_api.get_by_id(contact["id"]).id == contact["id"]
    assert emulator.faults.pending() == []


def test_accept_then_fail_stores_the_record_then_answers_500(emulator, client):
    emulator.add_fault(path="/crm/v3/objects/contacts$", method="POST", mode="accept_then_fail")
    with pytest.raises(ApiException) as caught:
        create_contact(client, email="x@y.io")
    assert caught.value.status == 500
    assert [c["properties"]["email"] for c in emulator.state()["objects"]["contacts"]] == ["x@y.io"]


def test_latency_fault_delays_then_answers_normally(client, emulator):
    emulator.add_fault(path="/crm/v3/owners", mode="latency", ms=60)
    started = time.monotonic()
    assert client.crm.owners.owners_api.get_page().results
    assert time.monotonic() - started >= 0.05

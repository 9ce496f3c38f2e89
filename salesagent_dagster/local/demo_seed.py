"""A realistic morning of demo requests for the sandbox: good fits, people who wrote to us
before, a known-good account, and the bad input a real form collects (role accounts,
broken addresses, header injection attempts, card numbers pasted into the message).

Seeded through the emulators' admin routes and HubSpot's real CRM API, so the same code can
seed an emulator running in another process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from salesagent_dagster.local.sandbox_stack import SANDBOX_HUBSPOT_TOKEN, SANDBOX_SENDER

TIMEOUT = 10


@dataclass(frozen=True)
class DemoLead:
    label: str
    values: dict[str, str]


DEMO_COMPANIES = (
    {"name": "Northwind Logistics", "domain": "northwind-logistics.com",
     "numberofemployees": "800", "industry": "Logistics", "country": "United States"},
    {"name": "Helios Energy", "domain": "helios-energy.de", "numberofemployees": "250",
     "industry": "Manufacturing", "country": "Germany"},
)  # fmt: skip

DEMO_LEADS = (
    DemoLead("ideal customer, company known in HubSpot", {
        "email": "priya@northwind-logistics.com", "firstname": "Priya", "lastname": "Natarajan",
        "company": "Northwind Logistics", "jobtitle": "VP Operations", "country": "United States",
        "industry": "Logistics", "numemployees": "501-1000",
        "message": "We route 4,000 shipments a day and want to see the dispatch module."}),
    DemoLead("wrote to the rep before", {
        "email": "lukas.becker@helios-energy.de", "firstname": "Lukas", "lastname": "Becker",
        "company": "Helios Energy", "jobtitle": "Head of Sales", "country": "Germany",
        "message": "Following up on our chat in March."}),
    DemoLead("known-good account", {
        "email": "aiko@brightpath.io", "firstname": "Aiko", "lastname": "Tanaka",
        "company": "BrightPath", "jobtitle": "Operations Manager", "country": "Japan"}),
    DemoLead("free mail, unknown company", {
        "email": "zoe.nunez@gmail.com", "firstname": "Zoë", "lastname": "Ñúñez",
        "company": "", "jobtitle": "Consultant", "message": "Curious about pricing."}),
    DemoLead("unicode name, small company", {
        "email": "jose@acme-analytics.eu", "firstname": "José", "lastname": "Müller-Łukasiewicz",
        "company": "Acme Analytics", "jobtitle": "Analyst", "numemployees": "12",
        "country": "Poland"}),
    DemoLead("header injection in the name", {
        "email": "mallory@shady-leads.io", "firstname": "Mallory\r\nBcc: everyone@corp.example",
        "lastname": "X", "company": "Shady Leads", "jobtitle": "CEO"}),
    DemoLead("card number pasted into the message", {
        "email": "sam@paytrail.co", "firstname": "Sam", "lastname": "Ortiz",
        "company": "Paytrail", "jobtitle": "Director of Finance", "numemployees": "300",
        "country": "United States", "industry": "Fintech",
        "message": "Can you bill card 4111 1111 1111 1111? We want guaranteed results."}),
    DemoLead("role account", {"email": "info@contoso.com", "firstname": "Info"}),
    DemoLead("broken address", {"email": "not-an-email", "firstname": "Bad"}),
    DemoLead("no address at all", {"firstname": "Nameless", "company": "Nowhere"}),
    DemoLead("competitor fishing", {
        "email": "spy@rival-sales-ai.com", "firstname": "Casey", "company": "Rival"}),
    DemoLead("same person twice", {
        "email": "Priya@Northwind-Logistics.com", "firstname": "Priya",
        "lastname": "Natarajan", "company": "Northwind Logistics"}),
)  # fmt: skip

# Good fits the demo adds to the morning, so its second act has leads enough to answer with
# a reply, an out-of-office, a bounce and an unsubscribe, and still some that stay silent.
DEMO_RETURN_PATH_LEADS = (
    DemoLead("good fit, will reply", {
        "email": "marcus.hill@northwind-logistics.com", "firstname": "Marcus", "lastname": "Hill",
        "company": "Northwind Logistics", "jobtitle": "Director of Operations",
        "country": "United States", "industry": "Logistics", "numemployees": "501-1000"}),
    DemoLead("good fit, will stay silent", {
        "email": "greta.vogel@helios-energy.de", "firstname": "Greta", "lastname": "Vogel",
        "company": "Helios Energy", "jobtitle": "VP Sales", "country": "Germany",
        "industry": "Manufacturing", "numemployees": "201-500"}),
    DemoLead("good fit, will stay silent too", {
        "email": "dana.reyes@northwind-logistics.com", "firstname": "Dana", "lastname": "Reyes",
        "company": "Northwind Logistics", "jobtitle": "Head of Logistics",
        "country": "United States", "industry": "Logistics", "numemployees": "501-1000"}),
)  # fmt: skip

MALFORMED_ITEM: dict[str, Any] = {"submittedAt": "yesterday", "values": "email=x@y.z"}


def default_form_id(hubspot_url: str) -> str:
    answer = requests.get(
        f"{hubspot_url}/marketing/v3/forms/",
        headers={"Authorization": f"Bearer {SANDBOX_HUBSPOT_TOKEN}"},
        timeout=TIMEOUT,
    )
    answer.raise_for_status()
    return str(answer.json()["results"][0]["id"])


def add_submission(hubspot_url: str, values: dict[str, str], form_id: str | None = None) -> str:
    """Add one submission through the emulator's admin route; returns its conversionId."""
    form_id = form_id or default_form_id(hubspot_url)
    answer = requests.post(
        f"{hubspot_url}/_admin/submissions",
        json={"formId": form_id, "values": values},
        timeout=TIMEOUT,
    )
    answer.raise_for_status()
    return str(answer.json().get("conversionId", ""))


def seed_demo(hubspot_url: str, gmail_url: str) -> list[DemoLead]:
    """Companies in the CRM, an earlier reply in the rep's inbox, then the submissions."""
    for company in DEMO_COMPANIES:
        requests.post(
            f"{hubspot_url}/crm/v3/objects/companies",
            json={"properties": company},
            headers={"Authorization": f"Bearer {SANDBOX_HUBSPOT_TOKEN}"},
            timeout=TIMEOUT,
        ).raise_for_status()
    requests.post(
        f"{gmail_url}/_admin/inbound",
        json={
            "mailbox": SANDBOX_SENDER,
            "from": "Lukas Becker <lukas.becker@helios-energy.de>",
            "subject": "Re: Helios and routing",
            "body": "Thanks Riley, let's talk again after the budget round.",
        },
        timeout=TIMEOUT,
    ).raise_for_status()
    form_id = default_form_id(hubspot_url)
    for lead in DEMO_LEADS:
        add_submission(hubspot_url, lead.values, form_id)
    return list(DEMO_LEADS)

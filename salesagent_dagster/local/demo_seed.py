"""A realistic morning of demo requests for the sandbox: good fits, people who wrote to us
before, a known-good account, and the bad input a real form collects (role accounts,
broken addresses, header injection attempts, card numbers pasted into the message).

Seeded through the emulators' admin routes and HubSpot's real CRM API, so the same code can
seed an emulator running in another process. The reps' sent folders (`seed_sent_mail`) go in
through Gmail's own `messages.insert` with the official client, as an import of old mail
would; `learn_demo_voices` then runs the weekly voice sensor's tick, so the drafts that
follow are written in voices learned from that mail.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

import requests

from salesagent_dagster.local.sandbox_stack import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_HUBSPOT_TOKEN,
    SANDBOX_REFRESH_TOKEN,
    SANDBOX_SENDER,
    SECOND_REP,
    SECOND_REP_REFRESH_TOKEN,
)

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from salesagent_dagster.local.one_tick import TickResult

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


@dataclass(frozen=True)
class SentMailSeed:
    """Mail a rep wrote before the product came: their sent folder, by refresh token."""

    mailbox: str
    refresh_token: str
    bodies: tuple[str, ...]


# Riley writes long, formal emails; Sam short, casual ones. Replies quote the mail they
# answer and some carry a signature block: the learner must read past both.
REP_SENT_MAIL = (
    SentMailSeed(SANDBOX_SENDER, SANDBOX_REFRESH_TOKEN, (
        "Dear Jordan,\n\nThank you for taking the time to walk me through your current "
        "dispatch process during our call on Tuesday afternoon. I have attached the summary "
        "of the integration options that we discussed with your operations team.\n\n"
        "Kind regards,\nRiley\n\n-- \nRiley Rep | Senior Account Executive\nSeller "
        "Example Inc. | +1 415 555 0100",
        "Dear Mei,\n\nI am writing to confirm that the pilot environment for your team is "
        "now available and that the onboarding session is scheduled for next Thursday "
        "morning. Please let me know whether the proposed agenda covers everything you "
        "would like to review.\n\nKind regards,\nRiley\n\nOn Mon, 3 Mar 2025 at 09:12, "
        "Mei Chen <mei@example.org> wrote:\n> hey!! can't wait, what's next? cheers",
        "Dear Tomas,\n\nThank you for the detailed feedback on the proposal that we sent "
        "to your procurement department last week. We have revised the pricing section so "
        "that it reflects the volume commitments that you described in your message.\n\n"
        "Kind regards,\nRiley",
        "Dear Anika,\n\nFollowing our conversation at the logistics conference in Hamburg, "
        "I would like to propose a short meeting with your regional managers to discuss "
        "how the routing module could support your expansion plans for next year.\n\n"
        "Kind regards,\nRiley\nRiley Rep\nSenior Account Executive, Seller Example Inc.",
    )),
    SentMailSeed(SECOND_REP, SECOND_REP_REFRESH_TOKEN, (
        "Hey Jo,\n\nGreat call today! I'll send the deck over. Talk Friday?\n\nCheers,\n"
        "Sam\n\n-- \nSam Seller | AE | Seller Example Inc. | +1 415 555 0101",
        "Hey Lea,\n\nYou're all set. It's live now! Shout if it's not.\n\nCheers,\nSam",
        "Hey Max,\n\nThanks! That's perfect. We'll go with Tuesday.\n\nCheers,\nSam\n\n"
        "On Tue, 4 Mar 2025 at 14:02, Max Weber <max@example.org> wrote:\n> Dear Sam, we "
        "would be grateful if you could kindly confirm whether the proposed meeting time "
        "on Tuesday afternoon suits your team.",
        "Hey Ana,\n\nQuick one: can you share the CSV? I'll check it tonight.\n\n"
        "Cheers,\nSam",
    )),
)  # fmt: skip


def seed_sent_mail(
    gmail_url: str, seeds: Sequence[SentMailSeed] = REP_SENT_MAIL, days_ago: int = 30
) -> int:
    """Put each rep's earlier mail in their sent folder (`messages.insert`, label SENT),
    dated over the last `days_ago` days; returns how many messages went in."""
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build

    count = 0
    for seed in seeds:
        credentials = Credentials(
            token=None,
            refresh_token=seed.refresh_token,
            token_uri=f"{gmail_url}/token",
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
        )
        service = build(
            "gmail", "v1", credentials=credentials, static_discovery=True,
            cache_discovery=False, client_options={"api_endpoint": gmail_url},
        )  # fmt: skip
        for index, body in enumerate(seed.bodies):
            message = EmailMessage()
            message["From"] = seed.mailbox
            message["To"] = f"customer{index}@example.org"
            message["Subject"] = f"Our conversation ({index + 1})"
            sent_at = datetime.now(UTC) - timedelta(days=days_ago - index)
            message["Date"] = format_datetime(sent_at)
            message["Message-ID"] = make_msgid(domain=seed.mailbox.rsplit("@", 1)[-1])
            message.set_content(body)
            raw = base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")
            service.users().messages().insert(
                userId="me", body={"raw": raw, "labelIds": ["SENT"]},
                internalDateSource="dateHeader",
            ).execute()  # fmt: skip
            count += 1
    return count


def learn_demo_voices(instance: DagsterInstance) -> TickResult:
    """One tick of the weekly voice sensor, its runs in this process: every connected
    mailbox's `voice_profile` learned from its sent folder."""
    from salesagent_dagster.definitions import build_definitions
    from salesagent_dagster.defs.voice.voice_sensor import VOICE_SENSOR_NAME
    from salesagent_dagster.local.one_tick import run_one_tick

    return run_one_tick(instance, build_definitions(), (VOICE_SENSOR_NAME,))

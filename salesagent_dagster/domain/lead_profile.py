"""Normalise a form submission into a lead and decide whether it qualifies.

Qualification is about whether we may and should write to this person at all; how good a
fit they are is the ICP score's job (icp.py), and whether to send unattended is the rules
engine's (approval_rules.py).

The form is untrusted input (DESIGN I-11): names, company and job title are cleaned here, once,
to what a name can be (safety/form_input.py); a field that is not a name is stored empty, so
no later step (the draft, the To header, the CRM contact) can use it, and the attempt is kept
as a `suspicious_input` finding that sends the lead to review. The message is kept for the
operator but is never quoted to the recipient.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from salesagent_dagster.domain.email_address import (
    EmailAddress,
    InvalidEmailAddress,
    parse_email_address,
)
from salesagent_dagster.domain.safety.findings import Finding
from salesagent_dagster.domain.safety.form_input import (
    clean_company_name,
    clean_job_title,
    clean_person_name,
    screen_message,
)

# Form field names we read, with the aliases HubSpot forms commonly use.
FIELD_ALIASES: Mapping[str, tuple[str, ...]] = {
    "email": ("email", "work_email"),
    "first_name": ("firstname", "first_name"),
    "last_name": ("lastname", "last_name"),
    "company": ("company", "company_name"),
    "job_title": ("jobtitle", "job_title"),
    "phone": ("phone", "mobilephone"),
    "website": ("website", "company_website"),
    "employees": ("numemployees", "company_size", "employees"),
    "country": ("country",),
    "industry": ("industry",),
    "message": ("message", "how_can_we_help", "comments"),
}

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_MAX_FIELD = 200
_MAX_MESSAGE = 5000


@dataclass(frozen=True)
class LeadProfile:
    """A submission's fields, cleaned: the names, company and job title are safe to put in a
    header or a template (or empty); the message is for a person to read, never to quote."""

    email: EmailAddress | None
    first_name: str
    last_name: str
    company: str
    job_title: str
    phone: str
    website_domain: str | None
    employees: int | None
    country: str
    industry: str
    message: str
    # What the submitter typed that looked like an attempt (I-11): kind and field, no values.
    input_findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Qualification:
    qualified: bool
    reason: str


def clean_text(value: str, limit: int = _MAX_FIELD) -> str:
    """NFC-normalise, fold control characters (CR/LF included) into single spaces, trim."""
    text = unicodedata.normalize("NFC", value)
    text = _CONTROL_CHARS.sub(" ", text)
    return " ".join(text.split())[:limit]


def clean_message(value: str) -> str:
    """Free text keeps its line breaks but loses other control characters."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x09\x0b-\x1f\x7f]", " ", text)
    return text.strip()[:_MAX_MESSAGE]


def _form_field(values: Mapping[str, str], name: str) -> str:
    """The first non-empty alias of field `name`."""
    for alias in FIELD_ALIASES[name]:
        if values.get(alias):
            return values[alias]
    return ""


def form_email(values: Mapping[str, str]) -> tuple[EmailAddress | None, str | None]:
    """The submission's email address and, when it is unusable, the reason why. Intake needs
    only this (to fingerprint the sender), so it does not build the whole profile."""
    try:
        return parse_email_address(_form_field(values, "email")), None
    except InvalidEmailAddress as exc:
        return None, exc.reason


def build_lead_profile(values: Mapping[str, str]) -> tuple[LeadProfile, str | None]:
    """Return the cleaned profile and, when the email is unusable, the reason why."""

    def field(name: str) -> str:
        return _form_field(values, name)

    email, email_problem = form_email(values)
    first_name = clean_person_name(field("first_name"), "first name")
    last_name = clean_person_name(field("last_name"), "last name")
    company = clean_company_name(field("company"))
    job_title = clean_job_title(field("job_title"))
    message = clean_message(field("message"))
    profile = LeadProfile(
        email=email,
        first_name=first_name.value,
        last_name=last_name.value,
        company=company.value,
        job_title=job_title.value,
        phone=clean_text(field("phone"), 40),
        website_domain=website_domain(field("website")),
        employees=parse_employee_count(field("employees")),
        country=clean_text(field("country"), 80),
        industry=clean_text(field("industry"), 120),
        message=message,
        input_findings=(
            first_name.findings
            + last_name.findings
            + company.findings
            + job_title.findings
            + screen_message(message)
        ),
    )
    return profile, email_problem


def website_domain(raw: str) -> str | None:
    """'https://www.Acme.io/pricing' -> 'acme.io'; None when it is not a host name."""
    text = clean_text(raw).lower()
    if not text:
        return None
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/", 1)[0].split(":", 1)[0]
    text = text.removeprefix("www.")
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", text):
        return None
    return text


def parse_employee_count(raw: str) -> int | None:
    """Forms give '51-200', '1,000+', '25' or 'about 40'; we keep the lower bound."""
    match = re.search(r"\d[\d,.\s]*", raw)
    if not match:
        return None
    digits = re.sub(r"[^\d]", "", match.group(0))
    return int(digits) if digits else None


def qualify(
    profile: LeadProfile,
    email_problem: str | None,
    *,
    is_suppressed: bool,
    is_duplicate: bool,
    competitor_domains: frozenset[str],
) -> Qualification:
    """The first reason this lead must not be written to, or 'qualified'."""
    if profile.email is None:
        return Qualification(False, f"invalid email: {email_problem}")
    if is_suppressed:
        return Qualification(False, "recipient is on the suppression list")
    if is_duplicate:
        return Qualification(False, "duplicate: an earlier submission from this address")
    if profile.email.is_disposable:
        return Qualification(False, "disposable email domain")
    if profile.email.is_role_account:
        return Qualification(False, "role account (not a person)")
    if profile.email.domain in competitor_domains:
        return Qualification(False, "competitor domain")
    return Qualification(True, "qualified")

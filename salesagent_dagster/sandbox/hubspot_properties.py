"""The property definitions a fresh HubSpot portal has, as far as the emulator needs them.

Real HubSpot refuses a write that names a property the portal does not define
(`PROPERTY_DOESNT_EXIST`), an enumeration value outside its options (`INVALID_OPTION`) or a
malformed email (`INVALID_EMAIL`), with 400 and a message listing every problem. The emulator
does the same so a typo in a property name fails here and not first in production.
Custom properties can be added with `HubSpotEmulator.define_property`.
"""

from __future__ import annotations

import json
import re
from typing import Any

_COMMON = {
    "hs_object_id",
    "createdate",
    "lastmodifieddate",
    "hs_createdate",
    "hs_lastmodifieddate",
    "hubspot_owner_id",
    "hs_timestamp",
}

STANDARD_PROPERTIES: dict[str, set[str]] = {
    "contacts": _COMMON
    | {
        "email",
        "firstname",
        "lastname",
        "company",
        "jobtitle",
        "phone",
        "mobilephone",
        "fax",
        "website",
        "address",
        "city",
        "state",
        "zip",
        "country",
        "industry",
        "message",
        "salutation",
        "numemployees",
        "annualrevenue",
        "lifecyclestage",
        "hs_lead_status",
        "hs_persona",
        "hs_language",
        "hs_linkedin_url",
        "twitterhandle",
        "date_of_birth",
        "notes_last_updated",
        "hs_analytics_source",
        "hs_email_optout",
        "associatedcompanyid",
        "hs_additional_emails",
    },
    "companies": _COMMON
    | {
        "name",
        "domain",
        "website",
        "phone",
        "address",
        "address2",
        "city",
        "state",
        "zip",
        "country",
        "industry",
        "numberofemployees",
        "annualrevenue",
        "description",
        "lifecyclestage",
        "hs_lead_status",
        "type",
        "founded_year",
        "timezone",
        "linkedin_company_page",
        "twitterhandle",
        "hs_additional_domains",
    },
    "emails": _COMMON
    | {
        "hs_email_direction",
        "hs_email_status",
        "hs_email_subject",
        "hs_email_text",
        "hs_email_html",
        "hs_email_headers",
        "hs_email_sender_email",
        "hs_email_sender_firstname",
        "hs_email_sender_lastname",
        "hs_email_to_email",
        "hs_email_to_firstname",
        "hs_email_to_lastname",
        "hs_email_cc_email",
        "hs_email_bcc_email",
        "hs_attachment_ids",
        "hs_email_thread_id",
        "hs_email_message_id",
    },
    "tasks": _COMMON
    | {
        "hs_task_subject",
        "hs_task_body",
        "hs_task_status",
        "hs_task_priority",
        "hs_task_type",
        "hs_task_reminders",
        "hs_queue_membership_ids",
        "hs_task_completion_date",
        "hs_task_is_all_day",
    },
}

ENUMERATIONS: dict[str, set[str]] = {
    "lifecyclestage": {
        "subscriber",
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
        "other",
    },
    "hs_lead_status": {
        "NEW",
        "OPEN",
        "IN_PROGRESS",
        "OPEN_DEAL",
        "UNQUALIFIED",
        "ATTEMPTED_TO_CONTACT",
        "CONNECTED",
        "BAD_TIMING",
    },
    "hs_email_direction": {"EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"},
    "hs_email_status": {"BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"},
    "hs_task_status": {"NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"},
    "hs_task_priority": {"NONE", "LOW", "MEDIUM", "HIGH"},
    "hs_task_type": {
        "EMAIL",
        "CALL",
        "TODO",
        "LINKED_IN",
        "LINKED_IN_CONNECT",
        "LINKED_IN_MESSAGE",
    },
}

REQUIRED_ON_CREATE: dict[str, tuple[str, ...]] = {
    "emails": ("hs_timestamp",),
    "tasks": ("hs_timestamp",),
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def property_errors(
    object_type: str, properties: dict[str, Any], defined: set[str], creating: bool
) -> str | None:
    """HubSpot's 400 message for these property values, or None when they are valid."""
    problems: list[dict[str, Any]] = []

    def problem(name: str, error: str, message: str) -> None:
        problems.append(
            {
                "isValid": False,
                "message": message,
                "error": error,
                "name": name,
                "localizedErrorMessage": message,
            }
        )

    for name, value in properties.items():
        text = "" if value is None else str(value)
        if name not in defined:
            problem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
        elif name in ENUMERATIONS and text and text not in ENUMERATIONS[name]:
            options = sorted(ENUMERATIONS[name])
            problem(name, "INVALID_OPTION", f"{text} was not one of the allowed options: {options}")
        elif name == "email" and object_type == "contacts" and text and not _EMAIL.match(text):
            problem(name, "INVALID_EMAIL", f"Email address {text} is invalid")
    if creating:
        for name in REQUIRED_ON_CREATE.get(object_type, ()):
            if not properties.get(name):
                problem(name, "REQUIRED_FIELD", f"{name} is required")
    if not problems:
        return None
    return "Property values were not valid: " + json.dumps(problems, separators=(",", ":"))

"""HubSpot communication preferences (v3): subscription definitions and each address's
status per subscription, without HTTP. Not thread-safe by itself: the emulator calls it
under its lock.

As the real API: `POST /communication-preferences/v3/unsubscribe` answers 400 "... is
already unsubscribed from subscription N" for an address that has left that subscription,
and `subscribe` refuses to resubscribe an address that opted out (only the person can).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from salesagent_dagster.sandbox.http_server import ApiError, Request, Response
from salesagent_dagster.sandbox.hubspot_crm import iso

LEGAL_BASES = (
    "LEGITIMATE_INTEREST_PQL",
    "LEGITIMATE_INTEREST_CLIENT",
    "PERFORMANCE_OF_CONTRACT",
    "CONSENT_WITH_NOTICE",
    "NON_GDPR",
    "PROCESS_AND_STORE",
    "LEGITIMATE_INTEREST_OTHER",
)
# A portal's usual subscription types: (id, name, purpose, active).
_DEFAULTS = (
    ("9241785", "Marketing Information", "Marketing", True),
    ("9241786", "One to One", "Sales", True),
    ("9241787", "Customer Service Communication", "Customer Service", False),
)
BASE = "/communication-preferences/v3"


class SubscriptionStore:
    def __init__(self) -> None:
        now = iso(datetime.now(UTC))
        self.definitions: dict[str, dict[str, Any]] = {}
        for subscription_id, name, purpose, active in _DEFAULTS:
            self.add_definition(subscription_id, name, purpose, active, now)
        # address (lower case) -> subscription id -> status record
        self.statuses: dict[str, dict[str, dict[str, Any]]] = {}

    def add_definition(
        self, subscription_id: str, name: str, purpose: str, active: bool, now: str | None = None
    ) -> dict[str, Any]:
        now = now or iso(datetime.now(UTC))
        definition = {
            "id": subscription_id,
            "name": name,
            "description": f"{name} emails",
            "purpose": purpose,
            "communicationMethod": "Email",
            "isActive": active,
            "isDefault": True,
            "isInternal": False,
            "businessUnitId": 0,
            "createdAt": now,
            "updatedAt": now,
        }
        self.definitions[subscription_id] = definition
        return definition

    def definitions_page(self) -> dict[str, Any]:
        return {"subscriptionDefinitions": list(self.definitions.values())}

    def email_status(self, email: str) -> dict[str, Any]:
        statuses = self.statuses.get(email.strip().lower(), {})
        return {"recipient": email, "subscriptionStatuses": list(statuses.values())}

    def set_status(self, body: dict[str, Any], status: str) -> dict[str, Any]:
        email = body.get("emailAddress")
        subscription_id = str(body.get("subscriptionId") or "")
        if not isinstance(email, str) or "@" not in email:
            raise ApiError(400, "Invalid input JSON: emailAddress must be an email address")
        legal_basis = body.get("legalBasis")
        if legal_basis is not None and legal_basis not in LEGAL_BASES:
            raise ApiError(400, f"Invalid legalBasis {legal_basis!r}")
        definition = self.definitions.get(subscription_id)
        if definition is None or not definition["isActive"]:
            raise ApiError(400, f"Subscription {subscription_id or '(none)'} does not exist")
        statuses = self.statuses.setdefault(email.strip().lower(), {})
        current = statuses.get(subscription_id, {}).get("status")
        if status == "NOT_SUBSCRIBED" and current == "NOT_SUBSCRIBED":
            raise ApiError(
                400, f"{email} is already unsubscribed from subscription {subscription_id}"
            )
        if status == "SUBSCRIBED" and current == "NOT_SUBSCRIBED":
            raise ApiError(400, f"{email} has opted out of subscription {subscription_id}")
        record = {
            "id": subscription_id,
            "name": definition["name"],
            "description": definition["description"],
            "status": status,
            "sourceOfStatus": "SUBSCRIPTION_STATUS",
            "legalBasis": legal_basis,
            "legalBasisExplanation": body.get("legalBasisExplanation"),
            "preferenceGroupName": None,
            "brandId": None,
        }
        statuses[subscription_id] = record
        return record

    def snapshot(self) -> dict[str, Any]:
        return {
            "subscription_definitions": list(self.definitions.values()),
            "subscription_statuses": {
                email: {sid: record["status"] for sid, record in statuses.items()}
                for email, statuses in self.statuses.items()
            },
        }


def routes(
    current: Callable[[], SubscriptionStore],
) -> list[tuple[str, str, Callable[[Request], Response]]]:
    """(method, path pattern, handler) for the emulator to register behind its auth;
    `current` gives the store in use (a reset replaces it)."""

    def definitions(request: Request) -> Response:
        return Response(200, current().definitions_page())

    def email_status(request: Request) -> Response:
        return Response(200, current().email_status(request.params["email"]))

    def unsubscribe(request: Request) -> Response:
        return Response(200, current().set_status(request.json(), "NOT_SUBSCRIBED"))

    def subscribe(request: Request) -> Response:
        return Response(200, current().set_status(request.json(), "SUBSCRIBED"))

    return [
        ("GET", rf"{BASE}/definitions/?", definitions),
        ("GET", rf"{BASE}/status/email/(?P<email>[^/]+)", email_status),
        ("POST", rf"{BASE}/unsubscribe", unsubscribe),
        ("POST", rf"{BASE}/subscribe", subscribe),
    ]

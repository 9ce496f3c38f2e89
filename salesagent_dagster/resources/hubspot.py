"""HubSpot through the official client (`hubspot-api-client`).

Only the base URL changes between the real API, the local emulator and any other
implementation of HubSpot's REST API. The client has no default timeout, so every call here
passes one and maps failures onto our typed errors; urllib3 under it repeats only what
cannot create anything twice (`HUBSPOT_RETRY`, resources/transport.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
import urllib3
from dagster import ConfigurableResource
from hubspot import HubSpot
from hubspot.communication_preferences import PublicUpdateSubscriptionStatusRequest
from hubspot.crm.contacts import SimplePublicObjectInput as ContactUpdate
from hubspot.crm.contacts import SimplePublicObjectInputForCreate
from hubspot.utils.requests.http_request_builder import Request as HubSpotRequest
from pydantic import PrivateAttr

from salesagent_dagster.resources.errors import (
    NotFound,
    PermanentServiceError,
    TransientServiceError,
    is_transient_status,
    retry_after_from_headers,
)
from salesagent_dagster.resources.transport import HUBSPOT_RETRY

SERVICE = "HubSpot"
DEFAULT_HUBSPOT_API_BASE_URL = "https://api.hubapi.com"
SUBMISSIONS_PAGE_LIMIT = 50  # the API's maximum

# HubSpot-defined association type ids (CRM associations v4 docs).
EMAIL_TO_CONTACT = 198
TASK_TO_CONTACT = 204

CONTACT_PROPERTIES = ["email", "firstname", "lastname", "company", "jobtitle", "hubspot_owner_id"]
COMPANY_PROPERTIES = ["name", "domain", "numberofemployees", "industry", "country"]

# What HubSpot records as the basis of an opt-out we pass on (required on GDPR portals):
# the person told us, through a channel we announced in the email, to stop.
OPT_OUT_LEGAL_BASIS = "CONSENT_WITH_NOTICE"

T = TypeVar("T")


@dataclass(frozen=True)
class SubmissionsPage:
    items: list[Any]
    next_after: str | None


@dataclass(frozen=True)
class CrmRecord:
    id: str
    properties: dict[str, str | None]


@dataclass(frozen=True)
class OptOutReport:
    """What HubSpot did with one address's opt-out, per subscription type."""

    unsubscribed: int  # subscriptions this call turned to NOT_SUBSCRIBED
    already: int  # HubSpot had them unsubscribed already (it answers 400 for those)
    refused: tuple[str, ...]  # ids HubSpot would not change for this address (other 4xx)


class HubSpotResource(ConfigurableResource):
    """HubSpot forms, CRM and engagements for one portal."""

    access_token: str
    api_base_url: str = DEFAULT_HUBSPOT_API_BASE_URL
    form_ids: str = ""  # comma-separated; empty means every form in the portal
    request_timeout_seconds: float = 15.0

    _client: HubSpot | None = PrivateAttr(default=None)
    _http: requests.Session | None = PrivateAttr(default=None)

    @property
    def client(self) -> HubSpot:
        if self._client is None:
            self._client = HubSpot(
                access_token=self.access_token,
                host=self.api_base_url.rstrip("/"),
                base_url=self.api_base_url.rstrip("/"),
                retry=HUBSPOT_RETRY,
            )
        return self._client

    # -- forms -----------------------------------------------------------------------------

    def configured_form_ids(self) -> list[str]:
        return [form_id.strip() for form_id in self.form_ids.split(",") if form_id.strip()]

    def form_ids_to_poll(self) -> list[str]:
        """HUBSPOT_FORM_IDS if set, otherwise every form of the portal."""
        configured = self.configured_form_ids()
        if configured:
            return configured
        form_ids: list[str] = []
        after: str | None = None
        while True:
            query: dict[str, Any] = {"limit": 100}
            if after:
                query["after"] = after
            body = self._get_json("/marketing/v3/forms/", query)
            form_ids += [str(form["id"]) for form in body.get("results", [])]
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return form_ids

    def submissions_page(self, form_id: str, after: str | None = None) -> SubmissionsPage:
        """One page of a form's submissions, newest first (legacy but current API)."""
        query: dict[str, Any] = {"limit": SUBMISSIONS_PAGE_LIMIT}
        if after:
            query["after"] = after
        body = self._get_json(f"/form-integrations/v1/submissions/forms/{form_id}", query)
        results = body.get("results")
        if not isinstance(results, list):
            raise PermanentServiceError(SERVICE, f"form {form_id}: answer has no results list")
        next_after = ((body.get("paging") or {}).get("next") or {}).get("after")
        return SubmissionsPage(items=results, next_after=str(next_after) if next_after else None)

    def _get_json(self, path: str, query: dict[str, Any]) -> dict[str, Any]:
        """GET through the client's own request builder (auth, base URL) with a timeout:
        `api_request` itself sends without one and never raises on an error status."""
        request = HubSpotRequest(self.client.config, {"method": "GET", "path": path, "qs": query})
        if self._http is None:
            self._http = requests.Session()
        try:
            response = self._http.request(
                request.get_method(),
                request.get_url(),
                timeout=self.request_timeout_seconds,
                **request.get_options_for_sending(),
            )
        except requests.RequestException as exc:
            raise TransientServiceError(SERVICE, f"GET {path}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _status_error(
                f"GET {path}", response.status_code, _error_message(response), response.headers
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise TransientServiceError(SERVICE, f"GET {path}: answer is not JSON") from exc
        if not isinstance(body, dict):
            raise PermanentServiceError(SERVICE, f"GET {path}: answer is not a JSON object")
        return body

    # -- CRM ---------------------------------------------------------------------------------

    def find_contact_by_email(self, email: str) -> CrmRecord | None:
        return self._find_one("contacts", "email", email, CONTACT_PROPERTIES)

    def create_contact(self, properties: dict[str, str]) -> CrmRecord:
        """Create; if HubSpot says the address exists already (409), use that contact."""
        try:
            created = self._call(
                "create contact",
                lambda: self.client.crm.contacts.basic_api.create(
                    simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
                        properties=properties
                    ),
                    _request_timeout=self.request_timeout_seconds,
                ),
                conflict_ok=True,
            )
        except _Conflict:
            existing = self.find_contact_by_email(properties["email"])
            if existing is None:
                raise PermanentServiceError(
                    SERVICE, "create contact: 409 conflict but no contact found"
                ) from None
            return existing
        return _record(created)

    def update_contact(self, contact_id: str, properties: dict[str, str]) -> None:
        self._call(
            "update contact",
            lambda: self.client.crm.contacts.basic_api.update(
                contact_id,
                simple_public_object_input=ContactUpdate(properties=properties),
                _request_timeout=self.request_timeout_seconds,
            ),
        )

    def primary_company_of(self, contact_id: str) -> CrmRecord | None:
        contact = self._call(
            "get contact",
            lambda: self.client.crm.contacts.basic_api.get_by_id(
                contact_id,
                properties=CONTACT_PROPERTIES,
                associations=["companies"],
                _request_timeout=self.request_timeout_seconds,
            ),
        )
        associations = (contact.associations or {}).get("companies")
        results = getattr(associations, "results", None) or []
        if not results:
            return None
        company_id = results[0].id
        company = self._call(
            "get company",
            lambda: self.client.crm.companies.basic_api.get_by_id(
                company_id,
                properties=COMPANY_PROPERTIES,
                _request_timeout=self.request_timeout_seconds,
            ),
        )
        return _record(company)

    def find_company_by_domain(self, domain: str) -> CrmRecord | None:
        return self._find_one("companies", "domain", domain, COMPANY_PROPERTIES)

    def _find_one(
        self, object_type: str, name: str, value: str, properties: list[str]
    ) -> CrmRecord | None:
        """First CRM object whose `name` equals `value` (CRM search, EQ filter)."""
        search_api = getattr(self.client.crm, object_type).search_api
        results = self._search(search_api, object_type, {name: value}, properties)
        return _record(results[0]) if results else None

    def find_engagement(self, object_type: str, equal_to: dict[str, str]) -> str | None:
        """An email or task we created whose create answer never reached us (a timeout, a
        5xx after HubSpot stored it, a crash): found by the properties we gave it, so a
        retry adopts it instead of logging it twice. `object_type`: "emails" or "tasks"."""
        search_api = getattr(self.client.crm.objects, object_type).search_api
        results = self._search(search_api, object_type, equal_to, list(equal_to))
        return str(results[0].id) if results else None

    def _search(
        self, search_api: Any, object_type: str, equal_to: dict[str, str], properties: list[str]
    ) -> list[Any]:
        request = {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": name, "operator": "EQ", "value": value}
                        for name, value in equal_to.items()
                    ]
                }
            ],
            "properties": properties,
            "limit": 1,
        }
        page = self._call(
            f"search {object_type}",
            lambda: search_api.do_search(
                public_object_search_request=request, _request_timeout=self.request_timeout_seconds
            ),
        )
        return list(page.results or [])

    def log_email(self, contact_id: str, properties: dict[str, str]) -> str:
        """An EMAIL engagement on the contact's timeline."""
        from hubspot.crm.objects.emails import SimplePublicObjectInputForCreate as EmailInput

        return self._create_on_contact(
            "emails", EmailInput, EMAIL_TO_CONTACT, contact_id, properties
        )

    def log_incoming_email(self, contact_id: str, properties: dict[str, str]) -> str:
        """A reply the contact sent us, on their timeline (`hs_email_direction`
        INCOMING_EMAIL), associated to the contact like our own emails."""
        return self.log_email(contact_id, {**properties, "hs_email_direction": "INCOMING_EMAIL"})

    def create_task(self, contact_id: str, properties: dict[str, str]) -> str:
        from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate as TaskInput

        return self._create_on_contact("tasks", TaskInput, TASK_TO_CONTACT, contact_id, properties)

    def _create_on_contact(
        self,
        object_type: str,
        input_class: Any,
        association_type: int,
        contact_id: str,
        properties: dict[str, str],
    ) -> str:
        """Create an engagement object associated with the contact; its HubSpot id."""
        body = input_class(
            properties=properties, associations=[_association(contact_id, association_type)]
        )
        api = getattr(self.client.crm.objects, object_type).basic_api
        created = self._call(
            f"create {object_type}",
            lambda: api.create(
                simple_public_object_input_for_create=body,
                _request_timeout=self.request_timeout_seconds,
            ),
        )
        return str(created.id)

    def archive_engagement(self, object_type: str, object_id: str) -> bool:
        """Archive an email engagement or task we created (erasure); False when HubSpot no
        longer has it. `object_type` is "emails" or "tasks"."""
        api = getattr(self.client.crm.objects, object_type).basic_api
        try:
            self._call(
                f"archive {object_type}",
                lambda: api.archive(object_id, _request_timeout=self.request_timeout_seconds),
            )
        except NotFound:
            return False
        return True

    def owner_id_for(self, email: str) -> str | None:
        page = self._call(
            "get owners",
            lambda: self.client.crm.owners.owners_api.get_page(
                email=email, limit=1, _request_timeout=self.request_timeout_seconds
            ),
        )
        return str(page.results[0].id) if page.results else None

    def owner_email(self, owner_id: str) -> str | None:
        """The HubSpot user behind an owner id: whose mailbox should write to the contact."""
        owner = self._call(
            "get owner",
            lambda: self.client.crm.owners.owners_api.get_by_id(
                int(owner_id), _request_timeout=self.request_timeout_seconds
            ),
        )
        return str(owner.email) if owner.email else None

    # -- communication preferences (opt-outs) ---------------------------------------------

    def active_subscription_ids(self) -> list[str]:
        """The portal's subscription types that are in use (`GET /communication-preferences
        /v3/definitions`), internal ones included: an opt-out covers every kind of email."""
        answer = self._call(
            "get subscription definitions",
            lambda: self.client.communication_preferences.definition_api.get_page(
                _request_timeout=self.request_timeout_seconds
            ),
        )
        return [str(d.id) for d in answer.subscription_definitions or [] if d.is_active]

    def opt_out_of_email(self, email: str, explanation: str) -> OptOutReport:
        """Unsubscribe `email` from every active subscription type (v3 has no "all" call).

        Repeats are safe: HubSpot answers 400 "already unsubscribed" for a subscription the
        address has left, which counts as done. Another 4xx for one subscription (HubSpot
        will not change that one) is reported, not raised, so it cannot keep the opt-out
        pending forever; 401/403, 429 and 5xx raise, and the caller tries again later.
        `explanation` is stored in HubSpot: say why, never who.
        """
        unsubscribed, already, refused = 0, 0, []
        for subscription_id in self.active_subscription_ids():
            outcome = self._unsubscribe(email, subscription_id, explanation)
            if outcome == "unsubscribed":
                unsubscribed += 1
            elif outcome == "already":
                already += 1
            else:
                refused.append(subscription_id)
        return OptOutReport(unsubscribed, already, tuple(refused))

    def _unsubscribe(self, email: str, subscription_id: str, explanation: str) -> str:
        request = PublicUpdateSubscriptionStatusRequest(
            email_address=email,
            subscription_id=subscription_id,
            legal_basis=OPT_OUT_LEGAL_BASIS,
            legal_basis_explanation=explanation,
        )
        status_api = self.client.communication_preferences.status_api
        with _translated_errors("unsubscribe", conflict_ok=False):
            try:
                status_api.unsubscribe(
                    public_update_subscription_status_request=request,
                    _request_timeout=self.request_timeout_seconds,
                )
            except Exception as exc:
                status = getattr(exc, "status", None) if _is_api_exception(exc) else None
                if status == 400 and _is_already_unsubscribed(exc):
                    return "already"
                if status in (400, 404, 422):
                    return "refused"
                raise  # 401/403, 429, 5xx, no answer: translated, and tried again later
        return "unsubscribed"

    def _call(self, operation: str, fn: Callable[[], T], conflict_ok: bool = False) -> T:
        with _translated_errors(operation, conflict_ok):
            return fn()


class _Conflict(Exception):
    """409 from a create: the caller decides what that means."""


def _association(object_id: str, type_id: int) -> dict[str, Any]:
    return {
        "to": {"id": object_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def _record(obj: Any) -> CrmRecord:
    return CrmRecord(id=str(obj.id), properties=dict(obj.properties or {}))


@contextmanager
def _translated_errors(operation: str, conflict_ok: bool) -> Iterator[None]:
    try:
        yield
    except (urllib3.exceptions.HTTPError, requests.RequestException, TimeoutError) as exc:
        raise TransientServiceError(SERVICE, f"{operation}: {type(exc).__name__}") from exc
    except Exception as exc:
        status = getattr(exc, "status", None)
        if not _is_api_exception(exc) or not isinstance(status, int):
            raise
        if status == 0:
            # The generated client's word for "no HTTP answer" (a TLS failure mid-call):
            # the request may have been carried out, so this is never a permanent refusal.
            raise TransientServiceError(SERVICE, f"{operation}: no answer ({exc})") from exc
        if status == 409 and conflict_ok:
            raise _Conflict() from exc
        raise _status_error(
            operation, status, _error_message(exc), getattr(exc, "headers", None)
        ) from exc


def _is_already_unsubscribed(exc: Exception) -> bool:
    """HubSpot's 400 for an unsubscribe the address has made already ("... is already
    unsubscribed from subscription N"): the outcome we wanted, not an error."""
    try:
        body = json.loads(getattr(exc, "body", None) or "{}")
    except ValueError:
        return False
    message = body.get("message") if isinstance(body, dict) else None
    return isinstance(message, str) and "already unsubscribed" in message.lower()


def _is_api_exception(exc: Exception) -> bool:
    """Each generated API package has its own `ApiException`, and answers 401, 403, 404 and 5xx
    with subclasses of it (`NotFoundException`, ...): recognised by name, along the MRO."""
    return any(cls.__name__ == "ApiException" for cls in type(exc).__mro__)


def _status_error(operation: str, status: int, message: str, headers: Any) -> Exception:
    if is_transient_status(status):
        return TransientServiceError(
            SERVICE, f"{operation}: HTTP {status} {message}", retry_after_from_headers(headers)
        )
    if status in (401, 403):
        return PermanentServiceError(
            SERVICE, f"{operation}: HTTP {status} {message} (check HUBSPOT_ACCESS_TOKEN and scopes)"
        )
    if status == 404:
        return NotFound(SERVICE, f"{operation}: HTTP {status} {message}")
    return PermanentServiceError(SERVICE, f"{operation}: HTTP {status} {message}")


def _error_message(source: Any) -> str:
    """HubSpot's error `message`, without echoing request data back into our logs."""
    body = getattr(source, "body", None)
    if body is None and hasattr(source, "text"):
        body = source.text

    try:
        parsed = json.loads(body) if isinstance(body, (str, bytes)) else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        category = parsed.get("category") or ""
        return f"{category}".strip() or "error"
    return "error"


def hubspot_timestamp(moment: datetime | None = None) -> str:
    """HubSpot's datetime properties take ISO 8601 with milliseconds, UTC."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

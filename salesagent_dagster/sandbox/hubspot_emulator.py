"""A HubSpot emulator that speaks the real REST wire format closely enough for the official
`hubspot-api-client` to work unmodified (see shared/WIRE.md), so the product runs against it,
the real API or any other implementation by changing the base URL only.

Covers what salesagent uses: forms and their submissions (legacy v1 API, newest first,
position-based `after` paging), CRM v3 objects (contacts, companies, emails, tasks) with
search and associations, v4 associations and owners, communication preferences v3
(subscription definitions, status per address, subscribe and unsubscribe). Admin routes under `/_admin` seed data,
show state and inject faults. Run standalone: `python -m ...sandbox.hubspot_emulator --port N`.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from salesagent_dagster.sandbox.http_server import (
    ApiError,
    EmulatorServer,
    Handler,
    Request,
    Response,
    serve_until_stopped,
)
from salesagent_dagster.sandbox.hubspot_crm import CrmStore, canonical_type, iso
from salesagent_dagster.sandbox.hubspot_crm_api import ROUTES as CRM_ROUTES
from salesagent_dagster.sandbox.hubspot_crm_api import CrmHandler
from salesagent_dagster.sandbox.hubspot_forms import (
    DEFAULT_FORM_ID,
    FORMS_DEFAULT_LIMIT,
    SUBMISSIONS_DEFAULT_LIMIT,
    FormStore,
)
from salesagent_dagster.sandbox.hubspot_subscriptions import SubscriptionStore
from salesagent_dagster.sandbox.hubspot_subscriptions import routes as subscription_routes
from salesagent_dagster.sandbox.hubspot_workflow_webhook import WorkflowWebhook

__all__ = ["DEFAULT_FORM_ID", "HubSpotEmulator", "hubspot_error", "start_hubspot_emulator"]

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
_ERRORS = {
    400: ("VALIDATION_ERROR", "Invalid input JSON on line 1"),
    401: ("INVALID_AUTHENTICATION", AUTH_MESSAGE),
    403: ("MISSING_SCOPES", "This app hasn't been granted all required scopes to make this call."),
    404: ("OBJECT_NOT_FOUND", "resource not found"),
    405: ("VALIDATION_ERROR", "Method not allowed"),
    409: ("CONFLICT", "Conflict"),
    429: ("RATE_LIMITS", "You have reached your secondly limit."),
}
OWNERS_MAX_LIMIT = 500


def hubspot_error(status: int, message: str | None = None) -> dict[str, Any]:
    """HubSpot's error body; 429s also carry the `errorType`/`policyName` HubSpot adds."""
    category, default = _ERRORS.get(status, ("INTERNAL_ERROR", "internal error"))
    body: dict[str, Any] = {
        "status": "error",
        "message": message or default,
        "correlationId": str(uuid.uuid4()),
        "category": category,
    }
    if status == 429:
        body.update(errorType="RATE_LIMIT", policyName="SECONDLY")
    return body


class HubSpotEmulator(EmulatorServer):
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, access_token: str = "sandbox-hubspot-token"
    ) -> None:
        super().__init__(host, port)
        self.access_token = access_token
        self._lock = threading.RLock()
        # A workflow that POSTs each new submission (None: submissions are only polled).
        self.workflow_webhook: WorkflowWebhook | None = None
        self.reset()
        for method, pattern, admin_handler in (
            ("POST", r"/_admin/reset", self._admin_reset),
            ("GET", r"/_admin/state", self._admin_state),
            ("POST", r"/_admin/forms", self._admin_form),
            ("POST", r"/_admin/submissions", self._admin_submission),
            ("POST", r"/_admin/raw_submissions", self._admin_raw_submission),
            ("POST", r"/_admin/owners", self._admin_owner),
            ("POST", r"/_admin/objects/(?P<type>[^/]+)", self._admin_object),
            ("POST", r"/_admin/associations", self._admin_association),
            ("POST", r"/_admin/properties", self._admin_property),
            ("POST", r"/_admin/workflow_webhook", self._admin_workflow_webhook),
        ):
            self.route(method, pattern, admin_handler, faultable=False)
        submissions = r"/form-integrations/v1/submissions/forms/(?P<form>[^/]+)/?"
        for method, pattern, handler in (
            ("GET", r"/marketing/v3/forms/?", self._list_forms),
            ("GET", r"/marketing/v3/forms/(?P<form>[^/]+)", self._get_form),
            ("GET", submissions, self._submissions),
            ("GET", r"/crm/v3/owners/?", self._list_owners),
            ("GET", r"/crm/v3/owners/(?P<id>[^/]+)", self._get_owner),
        ):
            self.route(method, pattern, self._authenticated(handler))
        for method, pattern, preferences_handler in subscription_routes(lambda: self.subscriptions):
            self.route(method, pattern, self._authenticated(preferences_handler))
        for method, pattern, crm_handler in CRM_ROUTES:
            self.route(method, pattern, self._authenticated(self._on_crm(crm_handler)))
        self.start()

    def error_body(self, status: int, message: str | None, reason: str | None, path: str) -> Any:
        return hubspot_error(status, message)

    # -- seeding and inspection (Python) ---------------------------------------------------

    def reset(self) -> None:
        """Empty portal with the default form and two owners (the sandbox rep and
        rep@example.com); faults stay as they are (the admin route clears both)."""
        with self._lock:
            ids = itertools.count(1001)
            self._owner_ids = itertools.count(70_000_001)
            self.forms = FormStore()
            self.crm = CrmStore(ids)
            self.owners: list[dict[str, Any]] = []
            self.subscriptions = SubscriptionStore()
            self.forms.add_form("Demo request", DEFAULT_FORM_ID)
            self.add_owner("rep@example.com", "Sample", "Rep")
            self.add_owner("riley@seller.example", "Riley", "Rep")

    def add_form(self, name: str, form_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self.forms.add_form(name, form_id))

    def add_submission(
        self,
        form_id: str,
        values: dict[str, Any] | list[dict[str, Any]],
        submitted_at_ms: int | None = None,
        page_url: str | None = None,
        conversion_id: str | None = None,
    ) -> dict[str, Any]:
        """`values` as a dict (becomes `[{name, value, objectTypeId}]`) or HubSpot's list.
        With a workflow webhook configured, the submission is also pushed to it."""
        with self._lock:
            item = copy.deepcopy(
                self.forms.add_submission(form_id, values, submitted_at_ms, page_url, conversion_id)
            )
        self._push(form_id, item)
        return item

    def add_raw_submission(self, form_id: str, item: Any) -> Any:
        with self._lock:
            stored = copy.deepcopy(self.forms.add_raw_submission(form_id, item))
        self._push(form_id, stored)
        return stored

    def use_workflow_webhook(self, url: str | None, client_secret: str = "") -> None:
        """Push every new submission to `url`, signed with `client_secret` (None: stop)."""
        self.workflow_webhook = WorkflowWebhook(url, client_secret) if url else None

    def _push(self, form_id: str, item: Any) -> None:
        webhook = self.workflow_webhook
        if webhook is not None:
            webhook.fire(form_id, item)

    def add_owner(self, email: str, first: str, last: str) -> dict[str, Any]:
        now = iso(datetime.now(UTC))
        with self._lock:
            owner_id = next(self._owner_ids)
            owner = {
                "id": str(owner_id),
                "email": email,
                "firstName": first,
                "lastName": last,
                "userId": owner_id - 60_000_000,
                "userIdIncludingInactive": owner_id - 60_000_000,
                "type": "PERSON",
                "createdAt": now,
                "updatedAt": now,
                "archived": False,
                "teams": [],
            }
            self.owners.append(owner)
            return copy.deepcopy(owner)

    def add_object(self, object_type: str, properties: dict[str, Any]) -> dict[str, Any]:
        """Seed a record as the API would store it, without the API's property checks."""
        with self._lock:
            return copy.deepcopy(
                self.crm.create(canonical_type(object_type), properties, validate=False)
            )

    def add_contact(self, properties: dict[str, Any]) -> dict[str, Any]:
        return self.add_object("contacts", properties)

    def add_company(self, properties: dict[str, Any]) -> dict[str, Any]:
        return self.add_object("companies", properties)

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """The default association, both ways (as the v4 `default` endpoint makes it)."""
        with self._lock:
            self.crm.associate(canonical_type(from_type), from_id, canonical_type(to_type), to_id)

    def define_property(self, object_type: str, name: str) -> None:
        """A custom property, so writes naming it are accepted like in a configured portal."""
        with self._lock:
            self.crm.define_property(object_type, name)

    def state(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(
                {
                    **self.forms.snapshot(),
                    **self.crm.snapshot(),
                    **self.subscriptions.snapshot(),
                    "owners": self.owners,
                }
            )

    # -- auth ------------------------------------------------------------------------------

    def _authenticated(self, handler: Handler) -> Handler:
        def guarded(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {self.access_token}":
                raise ApiError(401)
            with self._lock:
                response = handler(request)
                response.body = copy.deepcopy(response.body)
                return response

        return guarded

    def _on_crm(self, handler: CrmHandler) -> Handler:
        return lambda request: handler(self.crm, request, self.url)

    # -- forms -----------------------------------------------------------------------------

    def _list_forms(self, request: Request) -> Response:
        limit = request.int_arg("limit", FORMS_DEFAULT_LIMIT)
        link = f"{self.url}/marketing/v3/forms/"
        return Response(200, self.forms.forms_page(limit, request.arg("after"), link))

    def _get_form(self, request: Request) -> Response:
        return Response(200, self.forms.form(request.params["form"]))

    def _submissions(self, request: Request) -> Response:
        form_id = request.params["form"]
        link = f"{self.url}/form-integrations/v1/submissions/forms/{form_id}"
        limit = request.int_arg("limit", SUBMISSIONS_DEFAULT_LIMIT)
        return Response(
            200, self.forms.submissions_page(form_id, limit, request.arg("after"), link)
        )

    # -- owners ----------------------------------------------------------------------------

    def _list_owners(self, request: Request) -> Response:
        email = (request.arg("email") or "").lower()
        owners = [o for o in self.owners if not email or o["email"].lower() == email]
        limit = max(1, min(request.int_arg("limit", 100), OWNERS_MAX_LIMIT))
        start = request.int_arg("after", 0)
        body: dict[str, Any] = {"results": owners[start : start + limit]}
        if start + limit < len(owners):
            body["paging"] = {
                "next": {
                    "after": str(start + limit),
                    "link": f"{self.url}/crm/v3/owners/?after={start + limit}",
                }
            }
        return Response(200, body)

    def _get_owner(self, request: Request) -> Response:
        for owner in self.owners:
            if owner["id"] == request.params["id"]:
                return Response(200, owner)
        raise ApiError(404, f"Owner {request.params['id']} not found")

    # -- admin -----------------------------------------------------------------------------

    def _admin_reset(self, request: Request) -> Response:
        self.reset()
        self.clear_faults()
        return Response(204)

    def _admin_state(self, request: Request) -> Response:
        return Response(200, self.state())

    def _admin_form(self, request: Request) -> Response:
        body = request.json()
        return Response(201, self.add_form(str(body.get("name") or "Form"), body.get("id")))

    def _admin_submission(self, request: Request) -> Response:
        body = request.json()
        submitted_at = body.get("submittedAt")
        if submitted_at is not None and not isinstance(submitted_at, int):
            raise ApiError(400, "submittedAt must be epoch milliseconds (an integer)")
        item = self.add_submission(
            body.get("formId") or DEFAULT_FORM_ID,
            body.get("values") or {},
            submitted_at,
            body.get("pageUrl"),
            body.get("conversionId"),
        )
        return Response(201, item)

    def _admin_raw_submission(self, request: Request) -> Response:
        body = request.json()
        return Response(
            201, self.add_raw_submission(body.get("formId") or DEFAULT_FORM_ID, body.get("item"))
        )

    def _admin_owner(self, request: Request) -> Response:
        body = request.json()
        return Response(
            201,
            self.add_owner(
                str(request.field("email")),
                str(body.get("firstName", "")),
                str(body.get("lastName", "")),
            ),
        )

    def _admin_object(self, request: Request) -> Response:
        return Response(
            201, self.add_object(request.params["type"], request.json().get("properties") or {})
        )

    def _admin_association(self, request: Request) -> Response:
        self.associate(
            str(request.field("fromObjectType")),
            str(request.field("fromObjectId")),
            str(request.field("toObjectType")),
            str(request.field("toObjectId")),
        )
        return Response(204)

    def _admin_property(self, request: Request) -> Response:
        self.define_property(str(request.field("objectType")), str(request.field("name")))
        return Response(204)

    def _admin_workflow_webhook(self, request: Request) -> Response:
        """`{"url": ..., "clientSecret": ...}` starts pushing submissions; no url stops."""
        body = request.json()
        url, secret = body.get("url"), body.get("clientSecret", "")
        self.use_workflow_webhook(str(url) if url else None, str(secret))
        return Response(204)


def start_hubspot_emulator(
    host: str = "127.0.0.1", port: int = 0, access_token: str = "sandbox-hubspot-token"
) -> HubSpotEmulator:
    """A running emulator (daemon thread); `.url` is the base URL for the official client."""
    return HubSpotEmulator(host, port, access_token)


def main() -> None:
    parser = argparse.ArgumentParser(description="HubSpot REST API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--access-token", default="sandbox-hubspot-token")
    args = parser.parse_args()
    serve_until_stopped(
        start_hubspot_emulator(args.host, args.port, args.access_token), "HubSpot emulator"
    )


if __name__ == "__main__":
    main()

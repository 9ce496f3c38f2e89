"""A HubSpot emulator that speaks the real REST wire format closely enough for the official
`hubspot-api-client` to work unmodified (see shared/WIRE.md).

Covers what salesagent uses: forms and their submissions (legacy v1 API, newest first,
`after` paging), CRM v3 objects (contacts, companies, emails, tasks) with search and
associations, v4 default associations and owners. Admin routes under `/_admin` seed data,
inspect state and inject faults. Run standalone: `python -m ...hubspot_emulator --port N`.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from salesagent_dagster.sandbox.crm_search import matches_filter_groups, sort_records
from salesagent_dagster.sandbox.http_server import EmulatorServer, Request, Response

DEFAULT_FORM_ID = "6f1c2b9e-6d5c-4c1a-9a57-0d3c8d1e2f40"
OBJECT_TYPES = ("contacts", "companies", "emails", "tasks")
ASSOCIATION_LABELS = {
    ("contacts", "companies"): (1, "contact_to_company"),
    ("companies", "contacts"): (2, "company_to_contact"),
    ("emails", "contacts"): (198, "email_to_contact"),
    ("tasks", "contacts"): (204, "task_to_contact"),
    ("contacts", "emails"): (197, "contact_to_email"),
    ("contacts", "tasks"): (203, "contact_to_task"),
}
_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    405: "VALIDATION_ERROR",
    409: "CONFLICT",
    429: "RATE_LIMITS",
}


def hubspot_error(status: int, message: str) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": _CATEGORIES.get(status, "INTERNAL_ERROR"),
    }


def iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _token(submitted_at: int, conversion_id: str) -> str:
    return base64.urlsafe_b64encode(f"{submitted_at}:{conversion_id}".encode()).decode().rstrip("=")


def _untoken(token: str) -> tuple[int, str]:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    submitted_at, conversion_id = raw.split(":", 1)
    return int(submitted_at), conversion_id


class HubSpotEmulator(EmulatorServer):
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, access_token: str = "sandbox-hubspot-token"
    ):
        super().__init__(host, port, hubspot_error)
        self.access_token = access_token
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self.reset()
        admin = [
            ("POST", r"/_admin/reset", self._admin_reset),
            ("GET", r"/_admin/state", self._admin_state),
            ("POST", r"/_admin/forms", self._admin_form),
            ("POST", r"/_admin/submissions", self._admin_submission),
            ("POST", r"/_admin/raw_submissions", self._admin_raw_submission),
        ]
        for method, pattern, handler in admin:
            self.route(method, pattern, handler, faultable=False)
        api = [
            ("GET", r"/marketing/v3/forms/?", self._list_forms),
            ("GET", r"/form-integrations/v1/submissions/forms/(?P<form>[^/]+)", self._submissions),
            ("GET", r"/crm/v3/owners/?", self._owners),
            ("POST", r"/crm/v3/objects/(?P<type>\w+)/search", self._search),
            ("GET", r"/crm/v3/objects/(?P<type>\w+)/?", self._list_objects),
            ("POST", r"/crm/v3/objects/(?P<type>\w+)/?", self._create),
            ("GET", r"/crm/v3/objects/(?P<type>\w+)/(?P<id>[^/]+)", self._get),
            ("PATCH", r"/crm/v3/objects/(?P<type>\w+)/(?P<id>[^/]+)", self._update),
            (
                "PUT",
                r"/crm/v4/objects/(?P<type>\w+)/(?P<id>\d+)/associations/default/(?P<to>\w+)/(?P<to_id>\d+)",
                self._associate_default,
            ),
            (
                "GET",
                r"/crm/v4/objects/(?P<type>\w+)/(?P<id>\d+)/associations/(?P<to>\w+)",
                self._list_associations,
            ),
        ]
        for method, pattern, handler in api:
            self.route(method, pattern, self._authenticated(handler))
        self.start()

    # -- state ------------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.forms: dict[str, dict[str, Any]] = {}
            self.submissions: dict[str, list[dict[str, Any]]] = {}
            self.objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in OBJECT_TYPES}
            self.associations: set[tuple[str, str, str, str]] = set()
            self.owners: list[dict[str, Any]] = []
            self.add_form("Demo request", DEFAULT_FORM_ID)
            self.add_owner("riley@seller.example", "Riley", "Rep")
            self.add_owner("rep@example.com", "Sample", "Rep")

    def add_form(self, name: str, form_id: str | None = None) -> dict[str, Any]:
        now = iso(datetime.now(UTC))
        form_id = form_id or str(uuid.uuid4())
        form: dict[str, Any] = {
            "id": form_id,
            "name": name,
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
            "formType": "hubspot",
            "fieldGroups": [
                {"groupType": "default_group", "richTextType": "text", "fields": [
                    {"objectTypeId": "0-1", "name": field, "label": field, "required": field == "email",
                     "hidden": False, "fieldType": "single_line_text"}
                    for field in ("email", "firstname", "lastname", "company", "jobtitle", "message")
                ]}
            ],
        }  # fmt: skip
        with self._lock:
            self.forms[form_id] = form
            self.submissions.setdefault(form_id, [])
        return form

    def add_submission(
        self,
        form_id: str,
        values: dict[str, str] | list[dict[str, Any]],
        submitted_at_ms: int | None = None,
        page_url: str | None = None,
        conversion_id: str | None = None,
    ) -> dict[str, Any]:
        if isinstance(values, dict):
            items = [
                {"name": name, "value": value, "objectTypeId": "0-1"}
                for name, value in values.items()
            ]
        else:
            items = list(values)
        item = {
            "conversionId": conversion_id or str(uuid.uuid4()),
            "submittedAt": submitted_at_ms or int(time.time() * 1000),
            "values": items,
            "pageUrl": page_url or "https://www.seller.example/demo",
        }
        return self.add_raw_submission(form_id, item)

    def add_raw_submission(self, form_id: str, item: Any) -> Any:
        """Store an item exactly as given (malformed ones too, for intake tests)."""
        with self._lock:
            if form_id not in self.forms:
                raise KeyError(f"unknown form {form_id}")
            self.submissions[form_id].append(item)
            self.submissions[form_id].sort(key=_submission_order, reverse=True)
        return item

    def add_owner(self, email: str, first: str, last: str) -> dict[str, Any]:
        now = iso(datetime.now(UTC))
        owner_id = str(next(self._ids))
        owner = {
            "id": owner_id, "email": email, "firstName": first, "lastName": last,
            "userId": int(owner_id), "userIdIncludingInactive": int(owner_id), "type": "PERSON",
            "createdAt": now, "updatedAt": now, "archived": False, "teams": [],
        }  # fmt: skip
        with self._lock:
            self.owners.append(owner)
        return owner

    def add_contact(self, properties: dict[str, str]) -> dict[str, Any]:
        return self._store_object("contacts", properties)

    def add_company(self, properties: dict[str, str]) -> dict[str, Any]:
        return self._store_object("companies", properties)

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        with self._lock:
            self.associations.add((from_type, from_id, to_type, to_id))
            self.associations.add((to_type, to_id, from_type, from_id))

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "forms": list(self.forms.values()),
                "submissions": {k: list(v) for k, v in self.submissions.items()},
                "objects": {t: list(objs.values()) for t, objs in self.objects.items()},
                "associations": sorted(self.associations),
                "owners": list(self.owners),
            }

    def _store_object(self, object_type: str, properties: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        with self._lock:
            object_id = str(next(self._ids))
            props = {k: "" if v is None else str(v) for k, v in properties.items()}
            if object_type == "contacts" and "email" in props:
                props["email"] = props["email"].strip().lower()
            props.update(
                hs_object_id=object_id, createdate=iso(now), lastmodifieddate=iso(now),
                hs_lastmodifieddate=iso(now),
            )  # fmt: skip
            record = {
                "id": object_id, "properties": props, "createdAt": iso(now),
                "updatedAt": iso(now), "archived": False,
            }  # fmt: skip
            self.objects[object_type][object_id] = record
        return record

    # -- auth + helpers --------------------------------------------------------------------

    def _authenticated(self, handler: Any) -> Any:
        def guarded(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {self.access_token}":
                return self.error(
                    401,
                    "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                )
            return handler(request)

        return guarded

    def _object_type(self, request: Request) -> str | None:
        object_type = request.params["type"]
        return object_type if object_type in OBJECT_TYPES else None

    def _view(self, object_type: str, record: dict[str, Any], request: Request) -> dict[str, Any]:
        wanted = request.args("properties")
        defaults = ["hs_object_id", "createdate", "lastmodifieddate"]
        if object_type == "contacts":
            defaults += ["email", "firstname", "lastname"]
        if object_type == "companies":
            defaults += ["name", "domain"]
        names = set(defaults) | set(wanted)
        view = {k: v for k, v in record.items() if k != "properties"}
        view["properties"] = {
            n: record["properties"].get(n)
            for n in names
            if n in record["properties"] or n in wanted
        }
        associations = request.args("associations")
        if associations:
            view["associations"] = {}
            for to_type in associations:
                results = [
                    {
                        "id": to_id,
                        "type": ASSOCIATION_LABELS.get(
                            (object_type, to_type), (0, f"{object_type}_to_{to_type}")
                        )[1],
                    }
                    for (f_type, f_id, t_type, to_id) in sorted(self.associations)
                    if f_type == object_type and f_id == record["id"] and t_type == to_type
                ]
                if results:
                    view["associations"][to_type] = {"results": results}
        return view

    # -- forms ------------------------------------------------------------------------------

    def _list_forms(self, request: Request) -> Response:
        with self._lock:
            forms = list(self.forms.values())
        return Response(200, {"results": forms})

    def _submissions(self, request: Request) -> Response:
        form_id = request.params["form"]
        limit = int(request.arg("limit", "20") or 20)
        if limit > 50 or limit < 1:
            return self.error(400, "limit must be between 1 and 50")
        with self._lock:
            if form_id not in self.forms:
                return self.error(404, f"Form with guid {form_id} not found")
            items = list(self.submissions[form_id])
        after = request.arg("after")
        if after:
            try:
                position = _untoken(after)
            except ValueError:
                return self.error(400, "invalid after token")
            items = [item for item in items if _submission_order(item) < position]
        page = items[:limit]
        body: dict[str, Any] = {"results": page}
        if len(items) > limit:
            last = _submission_order(page[-1])
            token = _token(*last)
            body["paging"] = {
                "next": {
                    "after": token,
                    "link": f"{self.url}/form-integrations/v1/submissions/forms/{form_id}?limit={limit}&after={token}",
                }
            }
        return Response(200, body)

    # -- CRM objects ------------------------------------------------------------------------

    def _get(self, request: Request) -> Response:
        object_type = self._object_type(request)
        if object_type is None:
            return self.error(404, "unknown object type")
        object_id = request.params["id"]
        with self._lock:
            record = self._find(object_type, object_id, request.arg("idProperty"))
            if record is None:
                return self.error(404, "resource not found")
            return Response(200, self._view(object_type, record, request))

    def _find(
        self, object_type: str, object_id: str, id_property: str | None
    ) -> dict[str, Any] | None:
        objects = self.objects[object_type]
        if not id_property or id_property == "hs_object_id":
            return objects.get(object_id)
        needle = object_id.strip().lower()
        for record in objects.values():
            if str(record["properties"].get(id_property, "")).lower() == needle:
                return record
        return None

    def _create(self, request: Request) -> Response:
        object_type = self._object_type(request)
        if object_type is None:
            return self.error(404, "unknown object type")
        body = request.json()
        properties = body.get("properties")
        if not isinstance(properties, dict):
            return self.error(400, "Invalid input JSON: properties is required")
        if object_type == "contacts":
            email = str(properties.get("email") or "").strip().lower()
            with self._lock:
                existing = self._find("contacts", email, "email") if email else None
            if existing is not None:
                return self.error(409, f"Contact already exists. Existing ID: {existing['id']}")
        if object_type in ("emails", "tasks") and not properties.get("hs_timestamp"):
            return self.error(400, "Property values were not valid: hs_timestamp is required")
        record = self._store_object(object_type, properties)
        for association in body.get("associations") or []:
            to_id = str(association["to"]["id"])
            to_type = _type_for_association(object_type, association.get("types") or [])
            self.associate(object_type, record["id"], to_type, to_id)
        return Response(201, self._view(object_type, record, request))

    def _update(self, request: Request) -> Response:
        object_type = self._object_type(request)
        if object_type is None:
            return self.error(404, "unknown object type")
        properties = request.json().get("properties")
        if not isinstance(properties, dict):
            return self.error(400, "Invalid input JSON: properties is required")
        with self._lock:
            record = self._find(object_type, request.params["id"], request.arg("idProperty"))
            if record is None:
                return self.error(404, "resource not found")
            now = datetime.now(UTC)
            record["properties"].update(
                {k: "" if v is None else str(v) for k, v in properties.items()}
            )
            record["properties"]["lastmodifieddate"] = iso(now)
            record["updatedAt"] = iso(now)
            return Response(200, self._view(object_type, record, request))

    def _list_objects(self, request: Request) -> Response:
        object_type = self._object_type(request)
        if object_type is None:
            return self.error(404, "unknown object type")
        limit = int(request.arg("limit", "10") or 10)
        with self._lock:
            records = sorted(self.objects[object_type].values(), key=lambda r: int(r["id"]))
            after = int(request.arg("after", "0") or 0)
            records = [r for r in records if int(r["id"]) > after]
            page = [self._view(object_type, r, request) for r in records[:limit]]
        body: dict[str, Any] = {"results": page}
        if len(records) > limit:
            body["paging"] = {"next": {"after": page[-1]["id"]}}
        return Response(200, body)

    def _search(self, request: Request) -> Response:
        object_type = self._object_type(request)
        if object_type is None:
            return self.error(404, "unknown object type")
        body = request.json()
        limit = min(int(body.get("limit") or 10), 200)
        after = int(body.get("after") or 0)
        with self._lock:
            found = [
                r for r in self.objects[object_type].values()
                if matches_filter_groups(r["properties"], body.get("filterGroups") or [], body.get("query"))
            ]  # fmt: skip
            found = sort_records(found, body.get("sorts") or [])
            page_records = found[after : after + limit]
            view_request = Request(
                "GET", request.path, {"properties": body.get("properties") or []}, {}, b""
            )
            results = [self._view(object_type, r, view_request) for r in page_records]
        response: dict[str, Any] = {"total": len(found), "results": results}
        if after + limit < len(found):
            response["paging"] = {"next": {"after": str(after + limit)}}
        return Response(200, response)

    def _associate_default(self, request: Request) -> Response:
        from_type, to_type = request.params["type"], request.params["to"]
        from_id, to_id = request.params["id"], request.params["to_id"]
        with self._lock:
            if from_id not in self.objects.get(from_type, {}) or to_id not in self.objects.get(
                to_type, {}
            ):
                return self.error(404, "one of the objects does not exist")
        self.associate(from_type, from_id, to_type, to_id)
        type_id, _ = ASSOCIATION_LABELS.get((from_type, to_type), (0, ""))
        now = iso(datetime.now(UTC))
        return Response(200, {
            "status": "COMPLETE", "startedAt": now, "completedAt": now,
            "results": [{
                "fromObjectTypeId": from_type, "fromObjectId": int(from_id),
                "toObjectTypeId": to_type, "toObjectId": int(to_id),
                "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id},
            }],
        })  # fmt: skip

    def _list_associations(self, request: Request) -> Response:
        from_type, to_type, from_id = (
            request.params["type"],
            request.params["to"],
            request.params["id"],
        )
        with self._lock:
            results = [
                {"toObjectId": int(t_id), "associationTypes": [{
                    "category": "HUBSPOT_DEFINED",
                    "typeId": ASSOCIATION_LABELS.get((from_type, to_type), (0, ""))[0],
                    "label": None}]}
                for (f_type, f_id, t_type, t_id) in sorted(self.associations)
                if f_type == from_type and f_id == from_id and t_type == to_type
            ]  # fmt: skip
        return Response(200, {"results": results})

    def _owners(self, request: Request) -> Response:
        email = (request.arg("email") or "").lower()
        with self._lock:
            owners = [o for o in self.owners if not email or o["email"].lower() == email]
        limit = int(request.arg("limit", "100") or 100)
        return Response(200, {"results": owners[:limit]})

    # -- admin ------------------------------------------------------------------------------

    def _admin_reset(self, request: Request) -> Response:
        self.reset()
        self.clear_faults()
        return Response(204)

    def _admin_state(self, request: Request) -> Response:
        return Response(200, self.state())

    def _admin_form(self, request: Request) -> Response:
        body = request.json()
        return Response(201, self.add_form(body.get("name", "Form"), body.get("id")))

    def _admin_submission(self, request: Request) -> Response:
        body = request.json()
        form_id = body.get("formId") or DEFAULT_FORM_ID
        if form_id not in self.forms:
            return self.error(404, f"Form with guid {form_id} not found")
        item = self.add_submission(
            form_id, body.get("values") or {}, body.get("submittedAt"), body.get("pageUrl"),
            body.get("conversionId"),
        )  # fmt: skip
        return Response(201, item)

    def _admin_raw_submission(self, request: Request) -> Response:
        body = request.json()
        form_id = body.get("formId") or DEFAULT_FORM_ID
        if form_id not in self.forms:
            return self.error(404, f"Form with guid {form_id} not found")
        return Response(201, self.add_raw_submission(form_id, body.get("item")))


def _submission_order(item: Any) -> tuple[int, str]:
    """Newest first, ties broken by conversionId; tolerant of malformed items."""
    if not isinstance(item, dict):
        return (0, "")
    submitted_at = item.get("submittedAt")
    return (
        submitted_at if isinstance(submitted_at, int) else 0,
        str(item.get("conversionId") or ""),
    )


def _type_for_association(from_type: str, types: list[dict[str, Any]]) -> str:
    wanted = {t.get("associationTypeId") for t in types}
    for (f_type, t_type), (type_id, _) in ASSOCIATION_LABELS.items():
        if f_type == from_type and type_id in wanted:
            return t_type
    return "contacts"


def start_hubspot_emulator(
    host: str = "127.0.0.1", port: int = 0, access_token: str = "sandbox-hubspot-token"
) -> HubSpotEmulator:
    return HubSpotEmulator(host, port, access_token)


def main() -> None:
    parser = argparse.ArgumentParser(description="HubSpot REST API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--access-token", default="sandbox-hubspot-token")
    args = parser.parse_args()
    emulator = start_hubspot_emulator(args.host, args.port, args.access_token)
    print(f"HubSpot emulator on {emulator.url}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()

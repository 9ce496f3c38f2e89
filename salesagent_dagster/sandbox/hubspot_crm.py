"""HubSpot CRM v3 objects (contacts, companies, emails, tasks) and their associations, kept
apart from HTTP so the emulator's handlers stay thin. Not thread-safe by itself: the emulator
calls it under its lock.

Records look like HubSpot's: string ids, every property value a string, `createdAt` /
`updatedAt` in ISO 8601 with milliseconds and Z. Associations carry HubSpot-defined type ids,
in both directions, with the primary-company rule HubSpot applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from salesagent_dagster.sandbox.crm_search import (
    matches_filter_groups,
    sort_records,
    validate_filter_groups,
)
from salesagent_dagster.sandbox.http_server import ApiError
from salesagent_dagster.sandbox.hubspot_properties import STANDARD_PROPERTIES, property_errors

OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "emails": "0-49", "tasks": "0-27"}
_SINGULAR = {"contact": "contacts", "company": "companies", "email": "emails", "task": "tasks"}
ALWAYS_RETURNED = ("hs_object_id", "createdate", "lastmodifieddate")
DEFAULT_PROPERTIES = {
    "contacts": ("email", "firstname", "lastname"),
    "companies": ("name", "domain", "hs_lastmodifieddate"),
    "emails": ("hs_createdate", "hs_lastmodifieddate"),
    "tasks": ("hs_createdate", "hs_lastmodifieddate"),
}
SEARCH_MAX_LIMIT, SEARCH_MAX_RESULTS, LIST_MAX_LIMIT = 200, 10_000, 100


def iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def canonical_type(name: str) -> str:
    """HubSpot accepts `contacts`, `contact` and `0-1` alike."""
    lowered = name.lower()
    if lowered in OBJECT_TYPE_IDS:
        return lowered
    if lowered in _SINGULAR:
        return _SINGULAR[lowered]
    for plural, type_id in OBJECT_TYPE_IDS.items():
        if type_id == name:
            return plural
    raise ApiError(400, f"Unable to infer object type from: {name}")


@dataclass(frozen=True)
class AssociationType:
    type_id: int
    from_type: str
    to_type: str
    name: str
    inverse_id: int
    label: str | None = None


ASSOCIATION_TYPES = {
    kind.type_id: kind
    for kind in (
        AssociationType(1, "contacts", "companies", "contact_to_company", 2, "Primary"),
        AssociationType(2, "companies", "contacts", "company_to_contact", 1),
        AssociationType(279, "contacts", "companies", "contact_to_company_unlabeled", 280),
        AssociationType(280, "companies", "contacts", "company_to_contact_unlabeled", 279),
        AssociationType(197, "contacts", "emails", "contact_to_email", 198),
        AssociationType(198, "emails", "contacts", "email_to_contact", 197),
        AssociationType(185, "companies", "emails", "company_to_email", 186),
        AssociationType(186, "emails", "companies", "email_to_company", 185),
        AssociationType(203, "contacts", "tasks", "contact_to_task", 204),
        AssociationType(204, "tasks", "contacts", "task_to_contact", 203),
        AssociationType(191, "companies", "tasks", "company_to_task", 192),
        AssociationType(192, "tasks", "companies", "task_to_company", 191),
    )
}
DEFAULT_ASSOCIATION = {
    (k.from_type, k.to_type): k.type_id
    for k in ASSOCIATION_TYPES.values()
    if k.type_id not in (1, 2)
}
PRIMARY_COMPANY = 1

Link = tuple[str, str, str, str]  # from type, from id, to type, to id


class CrmStore:
    def __init__(self, ids: Iterator[int]) -> None:
        self._ids = ids
        self.objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in OBJECT_TYPE_IDS}
        self.links: dict[Link, set[int]] = {}
        self.custom_properties: dict[str, set[str]] = {t: set() for t in OBJECT_TYPE_IDS}
        # Archived records leave reads and lists (HubSpot keeps them ~90 days for restore).
        self.archived: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in OBJECT_TYPE_IDS}

    # -- records ----------------------------------------------------------------------------

    def create(
        self,
        object_type: str,
        properties: dict[str, Any],
        associations: list[dict[str, Any]] | None = None,
        validate: bool = True,
    ) -> dict[str, Any]:
        """`validate=False` is for seeding: tests may want records the API would refuse."""
        props = _strings(properties)
        if validate:
            self._check(object_type, props, creating=True)
        links = [self._association_target(object_type, item) for item in associations or []]
        if object_type == "contacts" and props.get("email"):
            props["email"] = props["email"].strip().lower()
            self._refuse_duplicate_email(props["email"], None)
        now = iso(datetime.now(UTC))
        object_id = str(next(self._ids))
        props.update(
            hs_object_id=object_id,
            createdate=now,
            lastmodifieddate=now,
            hs_createdate=now,
            hs_lastmodifieddate=now,
        )
        record = {
            "id": object_id,
            "properties": props,
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
        }
        self.objects[object_type][object_id] = record
        for to_type, to_id, type_id in links:
            self.associate(object_type, object_id, to_type, to_id, type_id)
        return record

    def update(
        self, object_type: str, object_id: str, properties: dict[str, Any], id_property: str | None
    ) -> dict[str, Any]:
        record = self.find(object_type, object_id, id_property)
        props = _strings(properties)
        self._check(object_type, props, creating=False)
        if object_type == "contacts" and props.get("email"):
            props["email"] = props["email"].strip().lower()
            self._refuse_duplicate_email(props["email"], record["id"])
        now = iso(datetime.now(UTC))
        record["properties"].update(props, lastmodifieddate=now, hs_lastmodifieddate=now)
        record["updatedAt"] = now
        return record

    def archive(self, object_type: str, object_id: str) -> None:
        """DELETE /crm/v3/objects/{type}/{id}: 204 even when already archived or unknown."""
        record = self.objects[object_type].pop(object_id, None)
        if record is not None:
            record["archived"] = True
            self.archived[object_type][object_id] = record

    def find(self, object_type: str, object_id: str, id_property: str | None) -> dict[str, Any]:
        objects = self.objects[object_type]
        if not id_property or id_property == "hs_object_id":
            record = objects.get(object_id)
        elif object_type == "contacts" and id_property == "email":
            needle = object_id.strip().lower()
            record = next(
                (r for r in objects.values() if r["properties"].get("email") == needle), None
            )
        else:
            raise ApiError(400, f"Property {id_property} is not a unique identifier property")
        if record is None:
            raise ApiError(404, "resource not found")
        return record

    def define_property(self, object_type: str, name: str) -> None:
        self.custom_properties[canonical_type(object_type)].add(name)

    def _check(self, object_type: str, props: dict[str, str], creating: bool) -> None:
        defined = STANDARD_PROPERTIES[object_type] | self.custom_properties[object_type]
        message = property_errors(object_type, props, defined, creating)
        if message:
            raise ApiError(400, message)

    def _refuse_duplicate_email(self, email: str, own_id: str | None) -> None:
        for record in self.objects["contacts"].values():
            if record["properties"].get("email") == email and record["id"] != own_id:
                raise ApiError(409, f"Contact already exists. Existing ID: {record['id']}")

    # -- views --------------------------------------------------------------------------------

    def view(
        self,
        object_type: str,
        record: dict[str, Any],
        requested: list[str] | None = None,
        associations: list[str] | None = None,
        written: list[str] | None = None,
    ) -> dict[str, Any]:
        """What HubSpot answers: requested properties (null when unset, dropped when the
        portal has no such property), else the type's defaults; plus what was just written."""
        defined = STANDARD_PROPERTIES[object_type] | self.custom_properties[object_type]
        names = list(ALWAYS_RETURNED)
        names += (
            [n for n in requested if n in defined] if requested else DEFAULT_PROPERTIES[object_type]
        )
        names += written or []
        properties = record["properties"]
        view = {k: v for k, v in record.items() if k != "properties"}
        view["properties"] = {name: properties.get(name) for name in dict.fromkeys(names)}
        linked: dict[str, Any] = {}
        for raw_type in associations or []:
            to_type = canonical_type(raw_type)
            results = [
                {"id": to_id, "type": ASSOCIATION_TYPES[type_id].name}
                for to_id, type_ids in sorted(
                    self.associated(object_type, record["id"], to_type).items(),
                    key=lambda item: int(item[0]),
                )
                for type_id in sorted(type_ids)
            ]
            if results:
                linked[raw_type] = {"results": results}
        if linked:
            view["associations"] = linked
        return view

    def page(
        self,
        object_type: str,
        limit: int,
        after: str | None,
        requested: list[str],
        associations: list[str],
        link_base: str,
    ) -> dict[str, Any]:
        limit = max(1, min(limit, LIST_MAX_LIMIT))
        try:
            start = int(after or 0)
        except ValueError:
            raise ApiError(400, f"Invalid after token {after!r}") from None
        records = sorted(
            (r for r in self.objects[object_type].values() if int(r["id"]) > start),
            key=lambda r: int(r["id"]),
        )
        page = records[:limit]
        body: dict[str, Any] = {
            "results": [self.view(object_type, r, requested, associations) for r in page]
        }
        if len(records) > limit:
            token = page[-1]["id"]
            body["paging"] = {"next": {"after": token, "link": f"{link_base}?after={token}"}}
        return body

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        groups = validate_filter_groups(body.get("filterGroups") or [])
        limit = int(body.get("limit") or 10)
        if not 1 <= limit <= SEARCH_MAX_LIMIT:
            raise ApiError(400, f"limit must be between 1 and {SEARCH_MAX_LIMIT}")
        try:
            offset = int(body.get("after") or 0)
        except ValueError:
            raise ApiError(400, f"Invalid after token {body.get('after')!r}") from None
        if offset + limit > SEARCH_MAX_RESULTS:
            raise ApiError(400, f"Search can page through at most {SEARCH_MAX_RESULTS} results")
        found = [
            r
            for r in self.objects[object_type].values()
            if matches_filter_groups(r["properties"], groups, body.get("query"))
        ]
        found = sort_records(found, body.get("sorts") or [])
        requested = list(body.get("properties") or [])
        results = [self.view(object_type, r, requested) for r in found[offset : offset + limit]]
        answer: dict[str, Any] = {"total": len(found), "results": results}
        if offset + limit < len(found):
            answer["paging"] = {"next": {"after": str(offset + limit)}}
        return answer

    # -- associations -----------------------------------------------------------------------

    def associate(
        self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int | None = None
    ) -> list[tuple[str, str, int]]:
        """Link both ways; the first company of a contact also becomes its primary company.
        Returns (from id, to id, type id) for every directed link made, as v4 reports them."""
        self.find(from_type, from_id, None)
        self.find(to_type, to_id, None)
        if type_id is None:
            if (from_type, to_type) not in DEFAULT_ASSOCIATION:
                raise ApiError(400, f"No default association from {from_type} to {to_type}")
            type_id = DEFAULT_ASSOCIATION[(from_type, to_type)]
        kinds = [ASSOCIATION_TYPES[type_id]]
        if {from_type, to_type} == {"contacts", "companies"}:
            contact_id = from_id if from_type == "contacts" else to_id
            has_primary = any(
                PRIMARY_COMPANY in ids
                for (f_type, f_id, t_type, _), ids in self.links.items()
                if (f_type, f_id, t_type) == ("contacts", contact_id, "companies")
            )
            if not has_primary:
                kinds.append(ASSOCIATION_TYPES[1 if from_type == "contacts" else 2])
        made = []
        for kind in kinds:
            self.links.setdefault((from_type, from_id, to_type, to_id), set()).add(kind.type_id)
            self.links.setdefault((to_type, to_id, from_type, from_id), set()).add(kind.inverse_id)
            made += [(from_id, to_id, kind.type_id), (to_id, from_id, kind.inverse_id)]
        return made

    def unassociate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        self.links.pop((from_type, from_id, to_type, to_id), None)
        self.links.pop((to_type, to_id, from_type, from_id), None)

    def associated(self, from_type: str, from_id: str, to_type: str) -> dict[str, set[int]]:
        return {
            t_id: set(ids)
            for (f_type, f_id, t_type, t_id), ids in self.links.items()
            if (f_type, f_id, t_type) == (from_type, from_id, to_type)
        }

    def _association_target(self, from_type: str, item: Any) -> tuple[str, str, int]:
        """Validate one `associations` entry of a create before anything is stored."""
        try:
            to_id = str(item["to"]["id"])
            spec = item["types"][0]
            type_id = int(spec["associationTypeId"])
        except (KeyError, IndexError, TypeError, ValueError):
            raise ApiError(400, "Invalid input JSON: malformed association") from None
        kind = ASSOCIATION_TYPES.get(type_id)
        if (
            kind is None
            or kind.from_type != from_type
            or spec.get("associationCategory") != "HUBSPOT_DEFINED"
        ):
            raise ApiError(
                400,
                f"{spec.get('associationCategory')} association type {type_id} "
                f"is not valid for {from_type}",
            )
        if to_id not in self.objects[kind.to_type]:
            raise ApiError(
                400, f"One or more associations are invalid: {kind.to_type} {to_id} does not exist"
            )
        return kind.to_type, to_id, type_id

    def snapshot(self) -> dict[str, Any]:
        return {
            "objects": {t: list(objects.values()) for t, objects in self.objects.items()},
            "associations": [
                {
                    "fromObjectType": f_type,
                    "fromObjectId": f_id,
                    "toObjectType": t_type,
                    "toObjectId": t_id,
                    "associationTypeIds": sorted(ids),
                }
                for (f_type, f_id, t_type, t_id), ids in sorted(self.links.items())
            ],
        }


def _strings(properties: dict[str, Any]) -> dict[str, str]:
    """HubSpot stores every property value as a string; null clears it."""
    if not isinstance(properties, dict):
        raise ApiError(400, "Invalid input JSON: properties must be an object")
    return {
        str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in properties.items()
    }

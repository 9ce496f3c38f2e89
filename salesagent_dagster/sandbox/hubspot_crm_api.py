"""HubSpot's CRM REST routes (v3 objects, v4 associations) as handler functions over a
`CrmStore`; the emulator authenticates and locks before calling them.

Answers are shaped for the official client's models: `SimplePublicObject(WithAssociations)`
for records, `CollectionResponseWithTotal...` for search, `BatchResponsePublicDefaultAssociation`
for v4 default associations, `LabelsBetweenObjectPair` for labelled ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from salesagent_dagster.sandbox.http_server import ApiError, Request, Response
from salesagent_dagster.sandbox.hubspot_crm import (
    ASSOCIATION_TYPES,
    OBJECT_TYPE_IDS,
    CrmStore,
    canonical_type,
    iso,
)

CrmHandler = Callable[[CrmStore, Request, str], Response]  # (store, request, base URL)


def _properties(body: dict[str, Any]) -> dict[str, Any]:
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise ApiError(400, "Invalid input JSON: properties is required")
    return properties


def get_object(crm: CrmStore, request: Request, base_url: str) -> Response:
    """`idProperty=email` looks a contact up by address, case-insensitively."""
    object_type = canonical_type(request.params["type"])
    record = crm.find(object_type, request.params["id"], request.arg("idProperty"))
    associations = request.args("associations")
    return Response(200, crm.view(object_type, record, request.args("properties"), associations))


def create_object(crm: CrmStore, request: Request, base_url: str) -> Response:
    object_type = canonical_type(request.params["type"])
    body = request.json()
    properties = _properties(body)
    record = crm.create(object_type, properties, body.get("associations") or [])
    return Response(201, crm.view(object_type, record, written=list(properties)))


def update_object(crm: CrmStore, request: Request, base_url: str) -> Response:
    object_type = canonical_type(request.params["type"])
    properties = _properties(request.json())
    record = crm.update(object_type, request.params["id"], properties, request.arg("idProperty"))
    return Response(200, crm.view(object_type, record, written=list(properties)))


def archive_object(crm: CrmStore, request: Request, base_url: str) -> Response:
    crm.archive(canonical_type(request.params["type"]), request.params["id"])
    return Response(204)


def list_objects(crm: CrmStore, request: Request, base_url: str) -> Response:
    object_type = canonical_type(request.params["type"])
    body = crm.page(
        object_type,
        request.int_arg("limit", 10),
        request.arg("after"),
        request.args("properties"),
        request.args("associations"),
        f"{base_url}/crm/v3/objects/{object_type}",
    )
    return Response(200, body)


def search_objects(crm: CrmStore, request: Request, base_url: str) -> Response:
    return Response(200, crm.search(canonical_type(request.params["type"]), request.json()))


def _v4_types(request: Request) -> tuple[str, str]:
    return canonical_type(request.params["type"]), canonical_type(request.params["to"])


def _associate(crm: CrmStore, request: Request, type_id: int | None) -> dict[str, Any]:
    from_type, to_type = _v4_types(request)
    made = crm.associate(from_type, request.params["id"], to_type, request.params["to_id"], type_id)
    now = iso(datetime.now(UTC))
    results = [
        {
            "from": {"id": from_id},
            "to": {"id": to_id},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": t},
        }
        for from_id, to_id, t in made
    ]
    return {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}


def associate_default(crm: CrmStore, request: Request, base_url: str) -> Response:
    """Both directions, plus the primary company when the contact had none."""
    return Response(200, _associate(crm, request, None))


def associate_labelled(crm: CrmStore, request: Request, base_url: str) -> Response:
    """`PUT .../associations/{toType}/{toId}` with `[{associationCategory, associationTypeId}]`."""
    try:
        pairs = [
            (str(spec["associationCategory"]), int(spec["associationTypeId"]))
            for spec in request.json_list()
        ]
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "Invalid input JSON: expected association specs") from None
    if not pairs:
        raise ApiError(400, "Invalid input JSON: no association types given")
    for category, type_id in pairs:
        if category != "HUBSPOT_DEFINED" or type_id not in ASSOCIATION_TYPES:
            raise ApiError(400, f"{category} association type {type_id} does not exist")
    for _, type_id in pairs:
        _associate(crm, request, type_id)
    from_type, to_type = _v4_types(request)
    labels = [ASSOCIATION_TYPES[type_id].label for _, type_id in pairs]
    return Response(
        201,
        {
            "fromObjectTypeId": OBJECT_TYPE_IDS[from_type],
            "fromObjectId": int(request.params["id"]),
            "toObjectTypeId": OBJECT_TYPE_IDS[to_type],
            "toObjectId": int(request.params["to_id"]),
            "labels": [label for label in labels if label],
        },
    )


def remove_association(crm: CrmStore, request: Request, base_url: str) -> Response:
    from_type, to_type = _v4_types(request)
    crm.unassociate(from_type, request.params["id"], to_type, request.params["to_id"])
    return Response(204)


def list_associations(crm: CrmStore, request: Request, base_url: str) -> Response:
    from_type, to_type = _v4_types(request)
    crm.find(from_type, request.params["id"], None)
    linked = crm.associated(from_type, request.params["id"], to_type)
    results = [
        {
            "toObjectId": int(to_id),
            "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": t, "label": ASSOCIATION_TYPES[t].label}
                for t in sorted(type_ids)
            ],
        }
        for to_id, type_ids in sorted(linked.items(), key=lambda item: int(item[0]))
    ]
    return Response(200, {"results": results})


_OBJECTS = r"/crm/v3/objects/(?P<type>[^/]+)"
_V4 = r"/crm/v4/objects/(?P<type>[^/]+)/(?P<id>[^/]+)/associations"
ROUTES: list[tuple[str, str, CrmHandler]] = [
    ("POST", rf"{_OBJECTS}/search", search_objects),
    ("GET", rf"{_OBJECTS}/?", list_objects),
    ("POST", rf"{_OBJECTS}/?", create_object),
    ("GET", rf"{_OBJECTS}/(?P<id>[^/]+)", get_object),
    ("PATCH", rf"{_OBJECTS}/(?P<id>[^/]+)", update_object),
    ("DELETE", rf"{_OBJECTS}/(?P<id>[^/]+)", archive_object),
    ("PUT", rf"{_V4}/default/(?P<to>[^/]+)/(?P<to_id>[^/]+)", associate_default),
    ("PUT", rf"{_V4}/(?P<to>[^/]+)/(?P<to_id>[^/]+)", associate_labelled),
    ("DELETE", rf"{_V4}/(?P<to>[^/]+)/(?P<to_id>[^/]+)", remove_association),
    ("GET", rf"{_V4}/(?P<to>[^/]+)/?", list_associations),
]

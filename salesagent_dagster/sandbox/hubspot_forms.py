"""HubSpot forms (marketing v3 definitions) and their submissions (legacy but current
`form-integrations/v1` API), without HTTP. Not thread-safe by itself: the emulator calls it
under its lock.

Submissions page newest first. The `after` token encodes the position of the last item
returned (submittedAt + conversionId), not an offset, so a submission arriving while a client
pages does not shift later pages: nothing is skipped or seen twice.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from salesagent_dagster.sandbox.http_server import ApiError
from salesagent_dagster.sandbox.hubspot_crm import iso

DEFAULT_FORM_ID = "6f1c2b9e-6d5c-4c1a-9a57-0d3c8d1e2f40"
SUBMISSIONS_MAX_LIMIT, SUBMISSIONS_DEFAULT_LIMIT = 50, 20
FORMS_DEFAULT_LIMIT = 20
_FIELDS = (
    ("email", "Email", "email"),
    ("firstname", "First name", "single_line_text"),
    ("lastname", "Last name", "single_line_text"),
    ("company", "Company name", "single_line_text"),
    ("jobtitle", "Job title", "single_line_text"),
    ("message", "Message", "multi_line_text"),
)


def form_definition(form_id: str, name: str, now: str) -> dict[str, Any]:
    """A v3 form definition with every key a real `hubspot` form carries."""
    fields = []
    for field_name, label, field_type in _FIELDS:
        field: dict[str, Any] = {
            "objectTypeId": "0-1",
            "name": field_name,
            "label": label,
            "required": field_name == "email",
            "hidden": False,
            "fieldType": field_type,
            "dependentFields": [],
        }
        if field_type == "email":
            field["validation"] = {"blockedEmailDomains": [], "useDefaultBlockList": False}
        fields.append(field)
    return {
        "id": form_id,
        "name": name,
        "createdAt": now,
        "updatedAt": now,
        "archived": False,
        "formType": "hubspot",
        "fieldGroups": [{"groupType": "default_group", "richTextType": "text", "fields": fields}],
        "configuration": {
            "language": "en",
            "cloneable": True,
            "postSubmitAction": {"type": "thank_you", "value": "Thanks, we'll be in touch."},
            "editable": True,
            "archivable": True,
            "recaptchaEnabled": False,
            "notifyContactOwner": False,
            "notifyRecipients": [],
            "createNewContactForNewEmail": False,
            "prePopulateKnownValues": True,
            "allowLinkToResetKnownValues": False,
            "lifecycleStages": [],
        },
        "displayOptions": {
            "renderRawHtml": False,
            "theme": "default_style",
            "submitButtonText": "Request a demo",
            "style": {},
            "cssClass": "",
        },
        "legalConsentOptions": {"type": "none"},
    }


def _token(position: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}:{position[1]}".encode()).decode().rstrip("=")


def _position(token: str) -> tuple[int, str]:
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        submitted_at, conversion_id = decoded.split(":", 1)
        return int(submitted_at), conversion_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, f"Invalid after token {token!r}") from None


def _order(item: Any) -> tuple[int, str]:
    """Newest first, ties by conversionId; tolerant of malformed items stored for tests."""
    if not isinstance(item, dict):
        return (0, "")
    submitted_at = item.get("submittedAt")
    return (submitted_at if isinstance(submitted_at, int) else 0, str(item.get("conversionId", "")))


class FormStore:
    def __init__(self) -> None:
        self.forms: dict[str, dict[str, Any]] = {}
        self.submissions: dict[str, list[Any]] = {}

    def add_form(self, name: str, form_id: str | None = None) -> dict[str, Any]:
        form_id = form_id or str(uuid.uuid4())
        form = form_definition(form_id, name, iso(datetime.now(UTC)))
        self.forms[form_id] = form
        self.submissions.setdefault(form_id, [])
        return form

    def form(self, form_id: str) -> dict[str, Any]:
        if form_id not in self.forms:
            raise ApiError(404, f"Form with guid {form_id} not found")
        return self.forms[form_id]

    def forms_page(self, limit: int, after: str | None, link_base: str) -> dict[str, Any]:
        forms = sorted(self.forms.values(), key=lambda f: (f["createdAt"], f["id"]))
        if after and not after.isdigit():
            raise ApiError(400, f"Invalid after token {after!r}")
        start = int(after or 0)
        page = forms[start : start + limit]
        body: dict[str, Any] = {"results": page}
        if start + limit < len(forms):
            token = str(start + limit)
            body["paging"] = {"next": {"after": token, "link": f"{link_base}?after={token}"}}
        return body

    def add_submission(
        self,
        form_id: str,
        values: dict[str, Any] | list[dict[str, Any]],
        submitted_at_ms: int | None = None,
        page_url: str | None = None,
        conversion_id: str | None = None,
    ) -> dict[str, Any]:
        if isinstance(values, dict):
            items = [
                {"name": k, "value": "" if v is None else str(v), "objectTypeId": "0-1"}
                for k, v in values.items()
            ]
        else:
            items = list(values)
        item = {
            "submittedAt": int(time.time() * 1000) if submitted_at_ms is None else submitted_at_ms,
            "values": items,
            "pageUrl": page_url or "https://www.seller.example/demo",
            "conversionId": conversion_id or str(uuid.uuid4()),
        }
        self.add_raw_submission(form_id, item)
        return item

    def add_raw_submission(self, form_id: str, item: Any) -> Any:
        """Stored exactly as given, malformed too: the product's intake must survive those."""
        self.form(form_id)
        self.submissions[form_id].append(item)
        self.submissions[form_id].sort(key=_order, reverse=True)
        return item

    def submissions_page(
        self, form_id: str, limit: int, after: str | None, link_base: str
    ) -> dict[str, Any]:
        self.form(form_id)
        if not 1 <= limit <= SUBMISSIONS_MAX_LIMIT:
            raise ApiError(400, f"limit must be between 1 and {SUBMISSIONS_MAX_LIMIT}")
        items = self.submissions[form_id]
        if after:
            position = _position(after)
            items = [item for item in items if _order(item) < position]
        page = items[:limit]
        body: dict[str, Any] = {"results": page}
        if len(items) > limit:
            token = _token(_order(page[-1]))
            body["paging"] = {
                "next": {"after": token, "link": f"{link_base}?limit={limit}&after={token}"}
            }
        return body

    def snapshot(self) -> dict[str, Any]:
        return {"forms": list(self.forms.values()), "submissions": dict(self.submissions)}

"""`POST /webhooks/hubspot`: submissions pushed by a HubSpot workflow, stored at once.

Only a request HubSpot signed (X-HubSpot-Signature-v3 with the app's client secret, fresh
timestamp) is read. The submission is in the inbox before the 200 goes out, so an answer
means it is safe; the lead's run is started after the answer (`EdgeContext.start_runs`), and
the sensor starts it anyway on its next pass if that did not happen. Statuses follow HubSpot's
retry rules (services/pushed_submissions.py): 401/400/413/422 are final, 503 is retried.
Nothing about the submission is logged but counts and the reason of a refusal.
"""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from salesagent_dagster.domain.hubspot_signature import SignatureCheck, check_signature_v3
from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.resources.errors import ServiceError
from salesagent_dagster.services.pushed_submissions import (
    FormList,
    UnknownForm,
    UnreadablePush,
    pushed_items,
    store_pushed,
)

log = logging.getLogger(__name__)

PATH = "/webhooks/hubspot"
MAX_BODY_BYTES = 256 * 1024
SIGNATURE_HEADER = "x-hubspot-signature-v3"
TIMESTAMP_HEADER = "x-hubspot-request-timestamp"


def hubspot_webhook_routes(context: EdgeContext) -> list[BaseRoute]:
    forms = FormList(context.hubspot)

    async def receive(request: Request) -> JSONResponse:
        if not context.hubspot_client_secret:
            log.error("HubSpot webhook refused: HUBSPOT_CLIENT_SECRET is not set")
            return _answer(503, "the webhook is not configured")
        body = await _body(request)
        if body is None:
            return _answer(413, f"body over {MAX_BODY_BYTES} bytes")
        check = check_signature_v3(
            client_secret=context.hubspot_client_secret,
            method=request.method,
            uri=str(request.url),
            body=body.decode("utf-8", errors="replace"),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
        )
        if check is not SignatureCheck.VALID:
            log.warning("HubSpot webhook refused: signature %s", check.value)
            return _answer(401, f"signature {check.value}")
        try:
            items = pushed_items(body, request.query_params.get("formId"))
            report = await run_in_threadpool(
                store_pushed, context.app_store, forms, context.outreach.fingerprint, items
            )
        except UnreadablePush as exc:
            log.warning("HubSpot webhook refused: %s", exc)
            return _answer(400, str(exc))
        except UnknownForm as exc:
            log.warning("HubSpot webhook refused: %s", exc)
            return _answer(422, str(exc))
        except ServiceError as exc:
            log.warning("HubSpot webhook deferred: the form list is unavailable: %s", exc)
            return _answer(503, "HubSpot's form list is unavailable; send again")
        except Exception:
            log.exception("HubSpot webhook deferred: the inbox could not store it")
            return _answer(503, "the inbox is unavailable; send again")
        log.info("HubSpot webhook: %s", report.as_dict())
        start = (
            BackgroundTask(context.start_runs, report.stored)
            if report.stored and context.start_runs is not None
            else None
        )
        return JSONResponse({"status": "ok", **report.as_dict()}, background=start)

    return [Route(PATH, receive, methods=["POST"])]


def _answer(status: int, reason: str) -> JSONResponse:
    return JSONResponse(
        {"status": "refused" if status < 500 else "retry", "reason": reason}, status
    )


async def _body(request: Request) -> bytes | None:
    """The body, or None past the limit (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return body

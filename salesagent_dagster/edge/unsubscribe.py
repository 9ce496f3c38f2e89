"""One-click unsubscribe (RFC 8058) at the link every email carries.

`POST /unsubscribe?lead=KEY&sig=S` with the form body `List-Unsubscribe=One-Click` is what
a mail client sends; it suppresses the person before the 200 goes out and passes the
opt-out on to HubSpot after it. `GET` of the same link only shows a page whose button makes
that POST: link scanners fetch every URL in a message, so a GET changes nothing.

A broken link answers 400, a forged one 403, both changing nothing. A valid link whose
lead is gone (erased) gets the same page as a fresh opt-out: nothing tells a visitor
whether we know the address. No redirects, no cookies.
"""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from urllib.parse import parse_qs

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from salesagent_dagster.domain.unsubscribe_token import TokenCheck
from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.edge.pages import bad_link_page, confirm_page, done_page, try_later_page
from salesagent_dagster.services.opt_out import push_hubspot_opt_out, record_opt_out

log = logging.getLogger(__name__)

PATH = "/unsubscribe"
ONE_CLICK = ("List-Unsubscribe", "One-Click")
MAX_BODY_BYTES = 8 * 1024  # the one-click body is 26 bytes; a page's form adds nothing


def unsubscribe_routes(context: EdgeContext) -> list[BaseRoute]:
    async def show(request: Request) -> HTMLResponse:
        key, signature = _link(request)
        refused = _refusal(context, key, signature)
        if refused is not None:
            return refused
        assert key is not None and signature is not None
        return HTMLResponse(confirm_page(key, signature))

    async def unsubscribe(request: Request) -> HTMLResponse:
        key, signature = _link(request)
        refused = _refusal(context, key, signature)
        if refused is not None:
            return refused
        assert key is not None
        if not _is_one_click(request.headers.get("content-type", ""), await _body(request)):
            return HTMLResponse(bad_link_page(), status_code=400)
        try:
            result = await run_in_threadpool(
                record_opt_out, context.app_store, key, source="one_click", actor="recipient"
            )
        except Exception:
            # Not honoured, so no 200: the mail client (or the person) tries again.
            log.exception("one-click opt-out for %s could not be recorded", key)
            return HTMLResponse(try_later_page(), status_code=503)
        log.info("one-click opt-out for %s recorded (HubSpot: %s)", key, result.hubspot)
        # After the answer: HubSpot may be slow or down, and the opt-out stays queued until
        # it has it (`sync_pending_hubspot_opt_outs`).
        push = (
            BackgroundTask(push_hubspot_opt_out, context.app_store, context.hubspot, key)
            if result.hubspot == "pending"
            else None
        )
        return HTMLResponse(done_page(), background=push)

    return [
        Route(PATH, show, methods=["GET"]),
        Route(PATH, unsubscribe, methods=["POST"]),
    ]


def _link(request: Request) -> tuple[str | None, str | None]:
    params = request.query_params
    # A repeated parameter is no link we made: refuse it rather than pick one.
    if len(params.getlist("lead")) > 1 or len(params.getlist("sig")) > 1:
        return None, None
    return params.get("lead"), params.get("sig")


def _refusal(context: EdgeContext, key: str | None, signature: str | None) -> HTMLResponse | None:
    check = context.outreach.check_unsubscribe_signature(key, signature)
    if check is TokenCheck.VALID:
        return None
    status = 403 if check is TokenCheck.FORGED else 400
    return HTMLResponse(bad_link_page(), status_code=status)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return b""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return b""
    return body


def _is_one_click(content_type: str, body: bytes) -> bool:
    """RFC 8058: the body is `List-Unsubscribe=One-Click`, form-urlencoded or multipart."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        fields = parse_qs(body.decode("latin-1"), keep_blank_values=True)
        return fields.get(ONE_CLICK[0]) == [ONE_CLICK[1]]
    if media_type == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
        message = message_from_bytes(head + body, policy=policy.HTTP)
        if not message.is_multipart():
            return False
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == ONE_CLICK[0]:
                value = part.get_payload(decode=True)
                return isinstance(value, bytes) and value.strip() == ONE_CLICK[1].encode()
    return False

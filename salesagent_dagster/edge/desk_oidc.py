"""Sign-in to the review desk through the OpenID provider (services/oidc_client.py).

`POST /signin/oidc` (the sign-in page's button, with the pre-session's CSRF token) starts a
sign-in: a fresh state, nonce and PKCE verifier go into the pre-session cookie, the browser
to the provider. `GET /signin/oidc/callback` is where the provider sends it back: the state
must be the cookie's, the code is exchanged, the ID token verified, and the identity signs in
only as the enabled operator an admin gave that email (services/operators.oidc_sign_in).
A started sign-in is used once: the callback forgets it whatever the outcome, so a state, a
code or a nonce never serves twice. Every refusal leaves nobody signed in.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.edge.desk_session import SIGN_IN_PATH, DeskSessions, tokens_match
from salesagent_dagster.edge.desk_signin import safe_next, sign_in_page
from salesagent_dagster.services.oidc_client import (
    OidcClient,
    OidcError,
    OidcUnavailable,
    PendingSignIn,
)
from salesagent_dagster.services.operators import SignIn, oidc_sign_in

START_PATH = f"{SIGN_IN_PATH}/oidc"
CALLBACK_PATH = f"{SIGN_IN_PATH}/oidc/callback"
UNREACHABLE = "The sign-in provider could not be reached. Try again in a moment."
log = logging.getLogger(__name__)


def oidc_routes(context: EdgeContext, sessions: DeskSessions) -> list[BaseRoute]:
    if context.oidc is None:
        return []
    oidc: OidcClient = context.oidc

    def refused(request: Request, status: int, error: str, pre: dict[str, object],
                next_path: str = "/review") -> Response:  # fmt: skip
        return sign_in_page(context, sessions, request, status, next_path=next_path,
                            error=error, pre=pre)  # fmt: skip

    async def start(request: Request) -> Response:
        form = await request.form()
        target = safe_next(form.get("next"))
        pre = await run_in_threadpool(sessions.pre_session, request)
        if not tokens_match(pre.get("csrf"), form.get("csrf")):
            return await run_in_threadpool(
                refused, request, 403, "The sign-in form was out of date. Sign in again.", pre
            )
        redirect_uri = oidc.config.redirect_uri or str(request.base_url).rstrip("/") + (
            CALLBACK_PATH
        )
        try:
            url, pending = await run_in_threadpool(oidc.begin, redirect_uri, target)
        except OidcError as exc:
            log.warning("OpenID sign-in could not start: %s", exc)
            return await run_in_threadpool(refused, request, 502, UNREACHABLE, pre, target)
        response = RedirectResponse(url, 303)
        await run_in_threadpool(
            sessions.write_pre, request, response, {**pre, "oidc": pending.as_dict()}
        )
        return response

    async def callback(request: Request) -> Response:
        query = request.query_params
        data = await run_in_threadpool(sessions.pre_session, request)
        pending = PendingSignIn.from_dict(data.pop("oidc", None))
        pre = {"csrf": data["csrf"]}  # the started sign-in is forgotten from here on
        if pending is None:
            return await run_in_threadpool(
                refused, request, 400, "No sign-in was started in this browser. Sign in again.",
                pre,
            )  # fmt: skip
        if query.get("error"):
            # The provider's own refusal (RFC 6749 4.1.2.1), e.g. access_denied.
            error = f"The provider did not sign you in ({query.get('error', '')[:60]})."
            return await run_in_threadpool(refused, request, 401, error, pre, pending.next_path)

        def finish() -> SignIn:
            identity = oidc.finish(pending, query.get("state", ""), query.get("code", ""))
            with context.app_store.session() as session:
                return oidc_sign_in(session, identity, oidc.config.allowed_domain)

        try:
            result = await run_in_threadpool(finish)
        except OidcUnavailable as exc:
            log.warning("OpenID sign-in failed at the provider: %s", exc)
            return await run_in_threadpool(
                refused, request, 502, UNREACHABLE, pre, pending.next_path
            )
        except OidcError as exc:
            log.warning("OpenID sign-in refused: %s", exc)
            return await run_in_threadpool(
                refused, request, 401, f"Sign-in refused: {exc}.", pre, pending.next_path
            )
        if not result.ok or result.operator is None:
            return await run_in_threadpool(
                refused, request, 403, result.refused, pre, pending.next_path
            )
        response = RedirectResponse(pending.next_path, 303)
        await run_in_threadpool(sessions.start, request, response, result.operator)
        sessions.end_pre(response)
        return response

    return [
        Route(START_PATH, start, methods=["POST"]),
        Route(CALLBACK_PATH, callback, methods=["GET"]),
    ]

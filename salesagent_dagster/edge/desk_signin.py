"""Sign-in and sign-out for the review desk, and `/auth/check`, the answer nginx's
`auth_request` asks before it lets a request through to the Dagster UI.

`/auth/check` answers 401 without a session and 200 with the operator's role in a header
otherwise. The Dagster UI sends queries and mutations alike as POSTs to `/graphql`, and
`auth_request` never sees a body, so the proxy cannot tell a mutation from a read; instead
it sends admins to the webserver and everyone else to a `dagster-webserver --read-only`
(deploy/nginx/dagster-ui.conf).

The sign-in form carries the pre-session's CSRF token (desk_session.py): a password posted
from anywhere else signs nobody in. When an OpenID provider is configured the page offers
it (desk_oidc.py), and desk passwords are then off unless SALESAGENT_DESK_PASSWORDS keeps
them: the form is not shown and a password posted anyway is refused before it is checked.
"""

from __future__ import annotations

import asyncio

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.edge.desk_session import (
    SIGN_IN_PATH,
    DeskSessions,
    csrf_ok,
    tokens_match,
)
from salesagent_dagster.edge.desk_views import render
from salesagent_dagster.services.operators import SignIn, sign_in, sign_in_delay_seconds

HOME = "/review"


def safe_next(target: object) -> str:
    """Only a path on this origin: never `//elsewhere` or `https://elsewhere`."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return HOME


def sign_in_page(
    context: EdgeContext, sessions: DeskSessions, request: Request, status: int = 200,
    *, next_path: str, error: str = "", pre: dict[str, object] | None = None,
) -> Response:  # fmt: skip
    """The sign-in page with the pre-session's CSRF token (made here when there is none)."""
    pre = pre if pre is not None else sessions.pre_session(request)
    response = render(
        request, "desk/signin.html", status, next=next_path, error=error, csrf=pre["csrf"],
        oidc_label=context.oidc.config.label if context.oidc else "",
        passwords=context.passwords,
    )  # fmt: skip
    sessions.write_pre(request, response, pre)
    return response


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def sign_in_routes(context: EdgeContext, sessions: DeskSessions) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        return await run_in_threadpool(
            lambda: sign_in_page(context, sessions, request, next_path=target)
        )

    async def sign_in_post(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        target = safe_next(form.get("next"))
        address = client_address(request)
        pre = await run_in_threadpool(sessions.pre_session, request)

        def answer(status: int, error: str) -> Response:
            return sign_in_page(context, sessions, request, status, next_path=target,
                                error=error, pre=pre)  # fmt: skip

        if not tokens_match(pre.get("csrf"), form.get("csrf")):
            # Not from this browser's sign-in page (another site's form, or a stale one).
            return await run_in_threadpool(
                answer, 403, "The sign-in form was out of date. Sign in again."
            )
        if not context.passwords:
            # Neither checked nor counted against the name: there is no password to guess.
            return await run_in_threadpool(
                answer, 403, "Desk passwords are off here: sign in with the button above."
            )

        def delay() -> float:
            with context.app_store.session() as session:
                return sign_in_delay_seconds(session, name)

        def check() -> SignIn:
            with context.app_store.session() as session:
                return sign_in(session, name, password, address)

        # Waited here, not in a worker thread: a flood of tries cannot occupy the pool.
        await asyncio.sleep(await run_in_threadpool(delay))
        result = await run_in_threadpool(check)
        if result.retry_after_seconds:
            slowed = await run_in_threadpool(
                answer, 429, "Too many failed sign-ins. Wait a few minutes and try again."
            )
            slowed.headers["retry-after"] = str(result.retry_after_seconds)
            return slowed
        if not result.ok or result.operator is None:
            return await run_in_threadpool(
                answer, 401, "That name and password do not match an operator."
            )
        response = RedirectResponse(target, 303)
        await run_in_threadpool(sessions.start, request, response, result.operator)
        sessions.end_pre(response)
        return response

    async def sign_out(request: Request) -> Response:
        operator = await sessions.operator(request)
        form = await request.form()
        if operator is not None and not csrf_ok(operator, form.get("csrf")):
            return PlainTextResponse("the form is out of date; reload it", 403)
        response = RedirectResponse(SIGN_IN_PATH, 303)
        sessions.end(response)
        return response

    async def auth_check(request: Request) -> Response:
        operator = await sessions.operator(request)
        if operator is None:
            return PlainTextResponse("sign in first", 401)
        # nginx picks the upstream from the role: admins reach the full webserver, everyone
        # else a `--read-only` one, which refuses every mutation itself.
        return PlainTextResponse(
            "ok",
            200,
            headers={"x-salesagent-operator": operator.name, "x-salesagent-role": operator.role},
        )

    return [
        Route(SIGN_IN_PATH, page, methods=["GET"]),
        Route(SIGN_IN_PATH, sign_in_post, methods=["POST"]),
        Route("/signout", sign_out, methods=["POST"]),
        Route("/auth/check", auth_check, methods=["GET"]),
    ]

"""Sign-in and sign-out for the review desk, and `/auth/check`, the answer nginx's
`auth_request` asks before it lets a request through to the Dagster UI.

`/auth/check` answers 401 without a session and 200 with the operator's role in a header
otherwise. The Dagster UI sends queries and mutations alike as POSTs to `/graphql`, and
`auth_request` never sees a body, so the proxy cannot tell a mutation from a read; instead
it sends admins to the webserver and everyone else to a `dagster-webserver --read-only`
(deploy/nginx/dagster-ui.conf).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.edge.desk_session import SIGN_IN_PATH, DeskSessions, csrf_ok
from salesagent_dagster.edge.desk_views import render
from salesagent_dagster.services.operators import SignIn, sign_in

HOME = "/review"


def safe_next(target: object) -> str:
    """Only a path on this origin: never `//elsewhere` or `https://elsewhere`."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return HOME


def sign_in_routes(context: EdgeContext, sessions: DeskSessions) -> list[BaseRoute]:
    async def sign_in_page(request: Request) -> Response:
        return render(request, "desk/signin.html", next=safe_next(request.query_params.get("next")))

    async def sign_in_post(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        target = safe_next(form.get("next"))
        address = request.client.host if request.client else "unknown"

        def check() -> SignIn:
            with context.app_store.session() as session:
                return sign_in(session, name, password, address)

        result = await run_in_threadpool(check)
        if result.retry_after_seconds:
            slowed = render(
                request, "desk/signin.html", 429, next=target,
                error="Too many failed sign-ins. Wait a few minutes and try again.",
            )  # fmt: skip
            slowed.headers["retry-after"] = str(result.retry_after_seconds)
            return slowed
        if not result.ok or result.operator is None:
            return render(
                request, "desk/signin.html", 401, next=target,
                error="That name and password do not match an operator.",
            )  # fmt: skip
        response = RedirectResponse(target, 303)
        await run_in_threadpool(sessions.start, request, response, result.operator)
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
        Route(SIGN_IN_PATH, sign_in_page, methods=["GET"]),
        Route(SIGN_IN_PATH, sign_in_post, methods=["POST"]),
        Route("/signout", sign_out, methods=["POST"]),
        Route("/auth/check", auth_check, methods=["GET"]),
    ]

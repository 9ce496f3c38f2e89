"""Who is signed in to the review desk: a signed, HttpOnly session cookie, its CSRF token,
and the role checks every desk route makes.

The cookie (itsdangerous, keyed by the app DB's desk key so every edge process reads the
others') carries only the operator's name, a CSRF token and a one-shot message; the role is
read from the app DB on every request, so disabling an operator or changing a role takes
effect at their next click. SameSite=Lax keeps the cookie off cross-site posts, and every
state-changing form carries the session's CSRF token as well (compared in constant time).

Before sign-in there is a pre-session cookie (its own salt, so it can never pass for a
session): the sign-in forms' CSRF token, so no other site can sign a browser in to the desk
as someone else (login CSRF), and a started OpenID sign-in's state, nonce and PKCE
verifier, which only this browser can bring back to the callback. SameSite=Lax still sends
it on the provider's top-level redirect back to us.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.services.operators import Role, active_role, role_allows
from salesagent_dagster.store.operators import desk_secret

COOKIE = "salesagent_desk"
MAX_AGE_SECONDS = 12 * 3600
PRE_COOKIE = "salesagent_desk_pre"
PRE_MAX_AGE_SECONDS = 3600
SIGN_IN_PATH = "/signin"


@dataclass(frozen=True)
class Operator:
    name: str
    role: str
    csrf: str

    def may(self, needed: Role) -> bool:
        return role_allows(self.role, needed)


class DeskSessions:
    def __init__(self, context: EdgeContext) -> None:
        self.context = context
        self._serializers: dict[str, URLSafeTimedSerializer] = {}

    def serializer(self, salt: str = "salesagent.desk-session") -> URLSafeTimedSerializer:
        if salt not in self._serializers:
            with self.context.app_store.session() as session:
                secret = desk_secret(session)
            self._serializers[salt] = URLSafeTimedSerializer(secret, salt=salt)
        return self._serializers[salt]

    def _read(self, request: Request, cookie: str, salt: str, max_age: int) -> dict[str, Any]:
        raw = request.cookies.get(cookie, "")
        if not raw:
            return {}
        try:
            loaded = self.serializer(salt).loads(raw, max_age=max_age)
        except BadSignature:
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _set(self, request: Request, response: Response, cookie: str, value: str,
             max_age: int) -> None:  # fmt: skip
        response.set_cookie(
            cookie,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    def data(self, request: Request) -> dict[str, Any]:
        return self._read(request, COOKIE, "salesagent.desk-session", MAX_AGE_SECONDS)

    def write(self, request: Request, response: Response, data: dict[str, Any]) -> None:
        self._set(request, response, COOKIE, self.serializer().dumps(data), MAX_AGE_SECONDS)

    def pre_session(self, request: Request) -> dict[str, Any]:
        """The pre-session, with a CSRF token for the sign-in forms (a new one if none)."""
        data = self._read(request, PRE_COOKIE, "salesagent.desk-pre-session", PRE_MAX_AGE_SECONDS)
        if not isinstance(data.get("csrf"), str) or not data["csrf"]:
            data = {"csrf": secrets.token_urlsafe(32)}
        return data

    def write_pre(self, request: Request, response: Response, data: dict[str, Any]) -> None:
        value = self.serializer("salesagent.desk-pre-session").dumps(data)
        self._set(request, response, PRE_COOKIE, value, PRE_MAX_AGE_SECONDS)

    def end_pre(self, response: Response) -> None:
        response.delete_cookie(PRE_COOKIE, path="/")

    def start(self, request: Request, response: Response, name: str) -> None:
        """A fresh CSRF token with every sign-in (none carried over from before it)."""
        self.write(request, response, {"op": name, "csrf": secrets.token_urlsafe(32)})

    def end(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/")

    async def operator(self, request: Request) -> Operator | None:
        data = await run_in_threadpool(self.data, request)
        name = data.get("op")
        if not isinstance(name, str) or not name:
            return None

        def role() -> str | None:
            with self.context.app_store.session() as session:
                return active_role(session, name)

        current = await run_in_threadpool(role)
        return Operator(name, current, str(data.get("csrf", ""))) if current else None

    async def flash(self, request: Request, response: Response, message: str) -> None:
        data = await run_in_threadpool(self.data, request)
        if data:
            self.write(request, response, {**data, "flash": message[:600]})

    async def take_flash(self, request: Request) -> tuple[str, dict[str, Any]]:
        data = await run_in_threadpool(self.data, request)
        return str(data.pop("flash", "")), data


def csrf_ok(operator: Operator, submitted: object) -> bool:
    return tokens_match(operator.csrf, submitted)


def tokens_match(expected: object, submitted: object) -> bool:
    """Both non-empty text and equal, compared in constant time."""
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and bool(expected)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


Handler = Callable[[Request, Operator], Awaitable[Response]]


def requires(sessions: DeskSessions, needed: Role) -> Callable[[Handler], Callable[..., Any]]:
    """No session: to the sign-in page (GET) or 401; a lesser role: 403. A POST must also
    carry the session's CSRF token, or nothing happens (403)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            operator = await sessions.operator(request)
            if operator is None:
                if request.method == "GET":
                    target = quote(
                        request.url.path + ("?" + request.url.query if request.url.query else "")
                    )
                    return RedirectResponse(f"{SIGN_IN_PATH}?next={target}", 303)
                return PlainTextResponse("sign in first", 401)
            if not operator.may(needed):
                return PlainTextResponse(f"this needs the {needed.value} role", 403)
            if request.method == "POST":
                form = await request.form()
                if not csrf_ok(operator, form.get("csrf")):
                    return PlainTextResponse(
                        "the form is out of date or was not sent from the desk; reload it", 403
                    )
            return await handler(request, operator)

        return endpoint

    return wrap

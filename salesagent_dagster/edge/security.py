"""Response headers every edge answer carries.

Nothing here is cached (the pages answer for one person's link), nothing loads from
anywhere (CSP `default-src 'none'`; forms post back to this origin only), the link's
signature never leaks through a Referer, and no page can be framed.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(style_hashes: tuple[str, ...] = ()) -> str:
    styles = " ".join(f"'sha256-{digest}'" for digest in style_hashes)
    return "; ".join(
        [
            "default-src 'none'",
            *([f"style-src {styles}"] if styles else []),
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task or body buffering, as BaseHTTPMiddleware
    would add)."""

    def __init__(self, app: ASGIApp, style_hashes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = [
            (b"cache-control", b"no-store"),
            (b"content-security-policy", content_security_policy(style_hashes).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)

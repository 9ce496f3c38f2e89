"""Google's OAuth 2.0 token endpoint, the refresh-token grant only, and the access tokens it
issued: what `google.oauth2.credentials.Credentials.refresh` talks to.

Access tokens expire on the server after their TTL, as Google's do; the API then answers 401
and google-auth refreshes and retries by itself. A revoked grant answers `invalid_grant`
(400), which google-auth raises as `RefreshError`: the user must reconnect.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from urllib.parse import parse_qs

from salesagent_dagster.sandbox.http_server import ApiError, Request, Response

GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.modify"
_ERRORS = {
    400: "invalid_request",
    401: "invalid_client",
    429: "rate_limit_exceeded",
    500: "internal_failure",
    503: "temporarily_unavailable",
}


def oauth_error(status: int, message: str | None = None) -> dict[str, str]:
    """RFC 6749's error shape; google-auth retries `internal_failure` and
    `temporarily_unavailable` (and 5xx/429) from the token endpoint by itself."""
    return {
        "error": _ERRORS.get(status, "server_error"),
        "error_description": message or "The server could not complete the request.",
    }


class GoogleOAuth:
    def __init__(
        self, client_id: str, client_secret: str, ttl_seconds: int, grants: dict[str, str]
    ) -> None:
        self.client_id, self.client_secret, self.ttl_seconds = client_id, client_secret, ttl_seconds
        self._grants = dict(grants)  # mailbox address -> refresh token
        self._access: dict[str, tuple[str, float]] = {}  # access token -> (mailbox, expiry)
        self._revoked: set[str] = set()
        self._lock = threading.Lock()
        self.tokens_issued = 0  # access tokens minted: shows a replayed refresh in tests

    @property
    def mailboxes(self) -> list[str]:
        with self._lock:
            return list(self._grants)

    def add_grant(self, address: str, refresh_token: str) -> None:
        with self._lock:
            self._grants[address] = refresh_token

    def reset(self) -> None:
        with self._lock:
            self._access.clear()
            self._revoked.clear()

    def revoke(self, refresh_token: str) -> None:
        """As when the user removes the app's access: the grant and its access tokens die."""
        with self._lock:
            self._revoked.add(refresh_token)
            owners = {m for m, rt in self._grants.items() if rt == refresh_token}
            self._access = {t: v for t, v in self._access.items() if v[0] not in owners}

    def reinstate(self, refresh_token: str) -> None:
        """The user connected the app again: the same grant works once more."""
        with self._lock:
            self._revoked.discard(refresh_token)

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access = {token: (mailbox, 0.0) for token, (mailbox, _) in self._access.items()}

    def token(self, request: Request) -> Response:
        """`POST /token`, form-encoded; client credentials in the body or HTTP Basic."""
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            try:
                decoded = base64.b64decode(basic[6:]).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            client_id, _, client_secret = decoded.partition(":")
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return Response(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        grant_type = form.get("grant_type", "")
        if grant_type != "refresh_token":
            return Response(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Invalid grant_type: {grant_type}",
                },
            )
        refresh_token = form.get("refresh_token", "")
        with self._lock:
            mailbox = next((m for m, rt in self._grants.items() if rt == refresh_token), None)
            if mailbox is None or refresh_token in self._revoked:
                return Response(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    },
                )
            access_token = "ya29.sandbox-" + secrets.token_urlsafe(32)
            self._access[access_token] = (mailbox, time.time() + self.ttl_seconds)
            self.tokens_issued += 1
        return Response(
            200,
            {
                "access_token": access_token,
                "expires_in": self.ttl_seconds,
                "scope": GMAIL_SCOPE,
                "token_type": "Bearer",
            },
        )

    def mailbox_for(self, request: Request) -> str:
        """The mailbox a bearer token was issued for; 401 (Google's shape) when it is unknown,
        expired or revoked."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self._lock:
            mailbox, expires_at = self._access.get(token, ("", 0.0))
        if not mailbox or expires_at < time.time():
            challenge = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            raise ApiError(401, headers={"WWW-Authenticate": challenge})
        return mailbox

"""A small OpenID Connect provider that speaks the real wire format: what the review desk's
sign-in (authlib) talks to in tests and the sandbox, as it would to Google or any provider.

Discovery (`/.well-known/openid-configuration`), `/authorize` (the authorization code flow:
a registered redirect URI only, `state` and `nonce` passed through, PKCE S256 required),
`/token` (client_secret_basic or _post; the code used once, for the same client and
redirect URI, with the verifier whose S256 is the challenge), `/jwks` and `/userinfo`. ID
tokens are RS256 JWTs signed with joserfc; nothing cryptographic is written by hand.

There is no login page: whoever `sign_in_as` names is the user the next `/authorize` signs
in. For negative tests, `forge_next` changes the next ID token (its claims, or the key it is
signed with) while everything else stays correct. Run standalone:
`python -m salesagent_dagster.sandbox.oidc_provider --port N`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey

from salesagent_dagster.sandbox.http_server import (
    ApiError,
    EmulatorServer,
    Request,
    Response,
    serve_until_stopped,
)

__all__ = ["Account", "OidcProvider", "start_oidc_provider"]

CODE_TTL_SECONDS = 60
TOKEN_TTL_SECONDS = 3600


@dataclass(frozen=True)
class Account:
    """The user at the provider: `sub` never changes, the email may."""

    subject: str
    email: str
    email_verified: bool = True
    hosted_domain: str = ""  # Google's `hd`; empty: not sent


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    scope: str
    account: Account
    expires_at: float


@dataclass
class _Forgery:
    claims: dict[str, Any] = field(default_factory=dict)
    other_key: bool = False


def _rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig"})


class OidcProvider(EmulatorServer):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = "sandbox-desk",
        client_secret: str = "sandbox-desk-secret",
        redirect_uris: tuple[str, ...] = (),
    ) -> None:
        super().__init__(host, port)
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris = set(redirect_uris)
        self._key = _rsa_key()
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, Account] = {}
        self._forgery: _Forgery | None = None
        self.account = Account("sandbox-subject-1", "operator@seller.example")
        self.tokens_issued = 0
        for method, pattern, handler in (
            ("GET", r"/\.well-known/openid-configuration", self._discovery),
            ("GET", r"/authorize", self._authorize),
            ("POST", r"/token", self._token),
            ("GET", r"/jwks", self._jwks),
            ("GET", r"/userinfo", self._userinfo),
        ):
            self.route(method, pattern, handler)

    @property
    def issuer(self) -> str:
        return self.url

    # -- what tests and the sandbox set ---------------------------------------------------

    def allow_redirect_uri(self, uri: str) -> None:
        with self._lock:
            self.redirect_uris.add(uri)

    def sign_in_as(self, account: Account) -> None:
        """The user the next `/authorize` signs in (the provider's own login, skipped)."""
        with self._lock:
            self.account = account

    def forge_next(self, claims: dict[str, Any] | None = None, other_key: bool = False) -> None:
        """The next ID token gets these claims over the right ones (a value None removes
        one), or is signed with a key the JWKS does not hold (same `kid` as the real one)."""
        with self._lock:
            self._forgery = _Forgery(dict(claims or {}), other_key)

    def rotate_key(self) -> None:
        """A new signing key, the old one gone from the JWKS (as providers rotate)."""
        with self._lock:
            self._key = _rsa_key()

    # -- the wire -------------------------------------------------------------------------

    def error_body(self, status: int, message: str | None, reason: str | None, path: str) -> Any:
        """RFC 6749 5.2's error shape."""
        return {"error": reason or "invalid_request", "error_description": message or str(status)}

    def _discovery(self, request: Request) -> Response:
        return Response(
            200,
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "email",
                                     "email_verified", "hd"],
            },
        )  # fmt: skip

    def _authorize(self, request: Request) -> Response:
        client_id = request.arg("client_id", "") or ""
        redirect_uri = request.arg("redirect_uri", "") or ""
        with self._lock:
            registered = redirect_uri in self.redirect_uris
            account = self.account
        # Never redirect to a URI the client did not register (RFC 6749 4.1.2.1).
        if client_id != self.client_id:
            raise ApiError(400, "unknown client_id", reason="invalid_client")
        if not registered:
            raise ApiError(400, f"redirect_uri {redirect_uri!r} is not registered")
        state = request.arg("state")
        problem = self._authorize_problem(request)
        if problem:
            return self._back(redirect_uri, {"error": "invalid_request",
                                             "error_description": problem, "state": state})  # fmt: skip
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[code] = _Grant(
                client_id, redirect_uri, request.arg("code_challenge", "") or "",
                request.arg("nonce"), request.arg("scope", "") or "", account,
                time.time() + CODE_TTL_SECONDS,
            )  # fmt: skip
        return self._back(redirect_uri, {"code": code, "state": state})

    @staticmethod
    def _authorize_problem(request: Request) -> str:
        if request.arg("response_type") != "code":
            return "only response_type=code is supported"
        if "openid" not in (request.arg("scope", "") or "").split():
            return "scope must include openid"
        if not request.arg("code_challenge") or request.arg("code_challenge_method") != "S256":
            return "PKCE with code_challenge_method=S256 is required"
        return ""

    @staticmethod
    def _back(redirect_uri: str, params: dict[str, str | None]) -> Response:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        separator = "&" if "?" in redirect_uri else "?"
        return Response(302, None, {"Location": f"{redirect_uri}{separator}{query}"})

    def _client(self, request: Request, form: dict[str, str]) -> str:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = ""
        if client_id != self.client_id or not secrets.compare_digest(secret, self.client_secret):
            raise ApiError(401, "client authentication failed", reason="invalid_client")
        return client_id

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        client_id = self._client(request, form)
        if form.get("grant_type") != "authorization_code":
            raise ApiError(400, "only authorization_code", reason="unsupported_grant_type")
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code serves once
        if grant is None or grant.expires_at < time.time() or grant.client_id != client_id:
            raise ApiError(400, "the code is unknown, used or expired", reason="invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise ApiError(400, "redirect_uri differs from the authorization's",
                           reason="invalid_grant")  # fmt: skip
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(challenge, grant.challenge):
            raise ApiError(400, "PKCE verification failed", reason="invalid_grant")
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._access[access_token] = grant.account
            self.tokens_issued += 1
        return Response(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL_SECONDS,
                "scope": grant.scope,
                "id_token": self._id_token(grant),
            },
            {"Cache-Control": "no-store"},
        )

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        account = grant.account
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": account.subject, "aud": grant.client_id,
            "iat": now, "exp": now + TOKEN_TTL_SECONDS, "auth_time": now,
            "email": account.email, "email_verified": account.email_verified,
        }  # fmt: skip
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if account.hosted_domain:
            claims["hd"] = account.hosted_domain
        with self._lock:
            forgery, self._forgery = self._forgery, None
            key = self._key
        if forgery is not None:
            for name, value in forgery.claims.items():
                if value is None:
                    claims.pop(name, None)
                else:
                    claims[name] = value
            if forgery.other_key:
                key = RSAKey.generate_key(2048, parameters={"kid": key.kid or "", "use": "sig"})
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)

    def _jwks(self, request: Request) -> Response:
        with self._lock:
            public = self._key.as_dict(private=False)
        return Response(200, {"keys": [{**public, "alg": "RS256"}]})

    def _userinfo(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self._lock:
            account = self._access.get(token)
        if account is None:
            raise ApiError(401, "invalid access token", reason="invalid_token",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})  # fmt: skip
        info: dict[str, Any] = {"sub": account.subject, "email": account.email,
                                "email_verified": account.email_verified}  # fmt: skip
        if account.hosted_domain:
            info["hd"] = account.hosted_domain
        return Response(200, info)


def start_oidc_provider(
    host: str = "127.0.0.1",
    port: int = 0,
    client_id: str = "sandbox-desk",
    client_secret: str = "sandbox-desk-secret",
    redirect_uris: tuple[str, ...] = (),
) -> OidcProvider:
    """A running provider (daemon thread); its `.issuer` is SALESAGENT_OIDC_ISSUER."""
    provider = OidcProvider(host, port, client_id, client_secret, redirect_uris)
    provider.start()
    return provider


def main() -> None:
    parser = argparse.ArgumentParser(description="OpenID Connect provider for the sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument("--client-id", default="sandbox-desk")
    parser.add_argument("--client-secret", default="sandbox-desk-secret")
    parser.add_argument("--redirect-uri", action="append", default=[])
    parser.add_argument("--email", default="operator@seller.example")
    parser.add_argument("--subject", default="sandbox-subject-1")
    args = parser.parse_args()
    provider = start_oidc_provider(
        args.host, args.port, args.client_id, args.client_secret, tuple(args.redirect_uri)
    )
    provider.sign_in_as(Account(args.subject, args.email))
    serve_until_stopped(provider, "OpenID provider")


if __name__ == "__main__":
    main()

"""The review desk as an OpenID Connect relying party: the authorization code flow with PKCE,
`state` and `nonce`, through authlib.

What OpenID Connect Core 1.0 (3.1.3.7) and Discovery 1.0 ask of a client, and where it
happens here:

- the provider's endpoints and keys come from `<issuer>/.well-known/openid-configuration`,
  whose `issuer` must be exactly the configured one (Discovery 4.3), over https (a loopback
  http issuer is allowed only for the sandbox provider: settings.py checks it);
- `state` (against login CSRF and mix-up) and the PKCE `code_verifier` and `nonce` are made
  by authlib's client for each sign-in and kept in the browser's signed pre-session cookie
  by the edge, never on the server;
- the code is exchanged at the token endpoint with the verifier (authlib's OAuth2Session,
  the client authenticated as the provider says it accepts; requests retries nothing, I-14);
- the ID token's signature is checked against the provider's JWKS (joserfc, the keys fetched
  again once when a token names a key id we do not have: the provider rotated), with only
  the asymmetric algorithms the provider advertises (RS256, OpenID's default, when it
  advertises none), and its claims by authlib's `CodeIDToken`: `iss` the issuer (for
  Google also `accounts.google.com`, which its documentation says tokens may carry), `aud`
  containing our client id (given as an option: authlib's own `parse_id_token` checks only
  `azp` there, which lets a token for another client through when it names us in `azp`),
  `exp` and `iat` present and `exp` not passed (a minute of leeway for clocks), `nonce`
  ours, `azp` ours when present, `at_hash` matching the access token when present.

Which identity may then sign in, as which operator, is services/operators.py's decision.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

SCOPE = "openid email profile"
DISCOVERY_PATH = "/.well-known/openid-configuration"
METADATA_MAX_AGE_SECONDS = 3600
# A sign-in started longer ago than this is not finished (the browser starts again).
PENDING_MAX_AGE_SECONDS = 600
CLOCK_LEEWAY_SECONDS = 60
_ASYMMETRIC = ("RS", "PS", "ES", "Ed")
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")


class OidcError(Exception):
    """The sign-in was refused; the message says why, in words for the operator."""


class OidcUnavailable(OidcError):
    """The provider could not be reached or answered with something that is not OpenID:
    another try may work."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str = ""
    # Only accounts of this email domain (and, for Google Workspace, this `hd`) sign in.
    allowed_domain: str = ""
    # Empty: the callback's URL as the edge sees it (behind a proxy, set it).
    redirect_uri: str = ""
    timeout_seconds: float = 10.0

    @property
    def label(self) -> str:
        """What the sign-in button names: Google, or the provider's host."""
        if self.issuer in GOOGLE_ISSUERS:
            return "Google"
        return urlsplit(self.issuer).hostname or self.issuer


@dataclass(frozen=True)
class PendingSignIn:
    """One started sign-in, as the pre-session cookie carries it back to the callback."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str
    started_at: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> PendingSignIn | None:
        if not isinstance(data, dict):
            return None
        try:
            pending = cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None
        fields = (pending.state, pending.nonce, pending.code_verifier, pending.redirect_uri)
        if not all(isinstance(v, str) and v for v in fields):
            return None
        return pending

    def expired(self, now: float) -> bool:
        return not 0 <= now - float(self.started_at) <= PENDING_MAX_AGE_SECONDS


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider says signed in, from an ID token whose signature and claims held."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    hosted_domain: str  # Google's `hd` (the Workspace domain); empty when not sent
    # The provider says domain membership with `hd` (Google, or a provider listing it in
    # claims_supported): then no `hd` means "not in any Workspace", not "not told".
    provider_sends_hd: bool = False


class OidcClient:
    """One provider's relying party. Discovery and keys are cached per process (an hour,
    and the keys again whenever a token names one we lack); thread-safe."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] = {}
        self._loaded_at = 0.0
        self._keys: KeySet | None = None

    # -- discovery and keys ---------------------------------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            answer = requests.get(url, timeout=self.config.timeout_seconds)
            answer.raise_for_status()
            body = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise OidcUnavailable(f"the sign-in provider did not answer ({url}): {exc}") from None
        if not isinstance(body, dict):
            raise OidcUnavailable(f"the sign-in provider sent no JSON object at {url}")
        return body

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata and time.time() - self._loaded_at < METADATA_MAX_AGE_SECONDS:
                return self._metadata
        found = self._get_json(self.config.issuer.rstrip("/") + DISCOVERY_PATH)
        if found.get("issuer") != self.config.issuer:
            raise OidcUnavailable(
                f"the provider's discovery names issuer {found.get('issuer')!r}, not the "
                f"configured {self.config.issuer!r} (SALESAGENT_OIDC_ISSUER)"
            )
        missing = [
            name
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if not isinstance(found.get(name), str)
        ]
        if missing:
            raise OidcUnavailable(f"the provider's discovery lacks {', '.join(missing)}")
        with self._lock:
            self._metadata, self._loaded_at, self._keys = found, time.time(), None
        return found

    def _key_set(self, refresh: bool = False) -> KeySet:
        with self._lock:
            if self._keys is not None and not refresh:
                return self._keys
        jwks = self._get_json(self.metadata()["jwks_uri"])
        try:
            keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise OidcUnavailable(f"the provider's keys could not be read: {exc}") from None
        with self._lock:
            self._keys = keys
        return keys

    def _algorithms(self) -> list[str]:
        advertised = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        chosen = [a for a in advertised if isinstance(a, str) and a.startswith(_ASYMMETRIC)]
        return chosen or ["RS256"]

    # -- the flow -------------------------------------------------------------------------

    def _session(self, redirect_uri: str) -> OAuth2Session:
        supported = self.metadata().get("token_endpoint_auth_methods_supported") or [
            "client_secret_basic"  # the default when a provider names none (Discovery 3)
        ]
        if not self.config.client_secret:
            method = "none"
        elif "client_secret_basic" in supported or "client_secret_post" not in supported:
            method = "client_secret_basic"
        else:
            method = "client_secret_post"
        return OAuth2Session(
            self.config.client_id,
            self.config.client_secret or None,
            token_endpoint_auth_method=method,
            scope=SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            default_timeout=self.config.timeout_seconds,
        )

    def begin(self, redirect_uri: str, next_path: str) -> tuple[str, PendingSignIn]:
        """Where to send the browser, and what it must bring back to finish."""
        endpoint = self.metadata()["authorization_endpoint"]
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(48)
        extra = {"hd": self.config.allowed_domain} if self.config.allowed_domain else {}
        with self._session(redirect_uri) as client:
            # authlib adds code_challenge (S256 of the verifier) and code_challenge_method.
            url, _ = client.create_authorization_url(
                endpoint, state=state, code_verifier=verifier, nonce=nonce, **extra
            )
        return url, PendingSignIn(state, nonce, verifier, redirect_uri, next_path, time.time())

    def finish(self, pending: PendingSignIn, state: str, code: str) -> VerifiedIdentity:
        """The callback's `state` and `code`, checked and exchanged, the ID token verified."""
        if pending.expired(time.time()):
            raise OidcError("the sign-in took too long; start it again")
        if not state or not hmac.compare_digest(pending.state.encode(), state.encode()):
            raise OidcError("the sign-in answer does not belong to this browser's sign-in")
        if not code:
            raise OidcError("the provider sent no authorization code")
        metadata = self.metadata()
        try:
            with self._session(pending.redirect_uri) as client:
                token = client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
        except AuthlibBaseError as exc:
            raise OidcError(f"the provider refused the sign-in: {exc.error}") from None
        except (requests.RequestException, ValueError) as exc:
            raise OidcUnavailable(f"the provider's token endpoint failed: {exc}") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the provider sent no ID token")
        claims = self._verified_claims(id_token, pending.nonce, str(token.get("access_token")))
        if "email" not in claims and metadata.get("userinfo_endpoint"):
            claims = {**self._userinfo(token, str(claims["sub"])), **claims}
        email = claims.get("email")
        if not isinstance(email, str) or not email:
            raise OidcError("the provider did not say which email signed in (scope email)")
        verified = claims.get("email_verified")
        return VerifiedIdentity(
            issuer=str(metadata["issuer"]),  # one spelling, whichever form `iss` had
            subject=str(claims["sub"]),
            email=email.strip().lower(),
            # A boolean in the spec; a few providers send the string.
            email_verified=verified is True or verified == "true",
            hosted_domain=str(claims.get("hd") or "").lower(),
            provider_sends_hd=metadata["issuer"] in GOOGLE_ISSUERS
            or "hd" in (metadata.get("claims_supported") or []),
        )

    def _issuers(self) -> list[str]:
        """The `iss` values accepted: the discovered issuer, and for Google also the
        scheme-less form its documentation says its ID tokens may carry."""
        issuer = str(self.metadata()["issuer"])
        return [issuer, "accounts.google.com"] if issuer in GOOGLE_ISSUERS else [issuer]

    def _verified_claims(self, id_token: str, nonce: str, access_token: str) -> dict[str, Any]:
        try:
            try:
                decoded = jwt.decode(id_token, self._key_set(), algorithms=self._algorithms())
            except InvalidKeyIdError:
                decoded = jwt.decode(id_token, self._key_set(refresh=True), self._algorithms())
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "values": self._issuers()},
                    "aud": {"essential": True, "value": self.config.client_id},
                    "sub": {"essential": True},
                    "nonce": {"essential": True},
                },
                {"nonce": nonce, "client_id": self.config.client_id,
                 "access_token": access_token},
            )  # fmt: skip
            claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
        except JoseError as exc:
            raise OidcError(f"the ID token was not accepted ({exc})") from None
        return dict(claims)

    def _userinfo(self, token: dict[str, Any], subject: str) -> dict[str, Any]:
        """OpenID Core 5.3: the UserInfo claims, only when they are for the same `sub`."""
        try:
            answer = requests.get(
                self.metadata()["userinfo_endpoint"],
                headers={"Authorization": f"Bearer {token.get('access_token', '')}"},
                timeout=self.config.timeout_seconds,
            )
            answer.raise_for_status()
            info = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise OidcUnavailable(f"the provider's userinfo failed: {exc}") from None
        if not isinstance(info, dict) or info.get("sub") != subject:
            raise OidcError("the provider's userinfo is for someone else")
        return {k: info[k] for k in ("email", "email_verified", "hd") if k in info}

"""Sign-in through an OpenID provider, end to end over real HTTP: the desk served by uvicorn,
the sandbox's provider (discovery, /authorize, /token, /jwks, RS256 ID tokens, PKCE) and a
cookie-keeping client walking the redirects as a browser does. Only an enabled operator's
verified identity gets in, with the role our DB gives; every forged or wrong answer is
refused with nobody signed in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.edge.desk_oidc import CALLBACK_PATH
from salesagent_dagster.sandbox.oidc_provider import Account, OidcProvider, start_oidc_provider
from salesagent_dagster.services.oidc_client import OidcClient, OidcConfig
from salesagent_dagster.services.operators import (
    add_oidc_operator,
    proves_identity,
    sign_in_delay_seconds,
)
from salesagent_dagster.services.review import ReviewRun
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import AuditEvent, OperatorIdentity
from salesagent_dagster.store.operators import disable_operator
from salesagent_dagster_tests.desk.conftest import PASSWORDS, Desk, add_operators
from salesagent_dagster_tests.desk.desk_client import DeskClient, Reply, get_elsewhere
from salesagent_dagster_tests.edge.conftest import edge_context
from salesagent_dagster_tests.edge.edge_server import serving

CLIENT_ID, CLIENT_SECRET = "desk-client", "desk-client-secret"
OLGA = Account("google-sub-1001", "olga@seller.example", hosted_domain="seller.example")


@dataclass
class OidcDesk(Desk):
    provider: OidcProvider
    reviews: list[dict[str, Any]]

    def start(self, client: DeskClient) -> Reply:
        """The sign-in page's button: to the provider's /authorize."""
        page = client.get("/signin")
        assert page.status == 200 and "Sign in with 127.0.0.1" in page.body
        return client.post("/signin/oidc", [("csrf", page.csrf()), ("next", "/review")])

    def callback_url(self, client: DeskClient) -> str:
        """Start, and let the provider answer: the callback URL it sends the browser to."""
        started = self.start(client)
        assert started.status == 303 and started.location.startswith(self.provider.issuer)
        authorized = get_elsewhere(started.location)
        assert authorized.status == 302, authorized.body
        assert authorized.location.startswith(self.url + CALLBACK_PATH)
        return authorized.location

    def sign_in(self, client: DeskClient, callback: str | None = None) -> Reply:
        parts = urlsplit(callback or self.callback_url(client))
        return client.get(f"{parts.path}?{parts.query}")


def nobody_signed_in(client: DeskClient) -> bool:
    return "salesagent_desk" not in client.cookies and client.get("/review").status == 303


@contextmanager
def serving_oidc_desk(database_url: str, hubspot_url: str, passwords: bool) -> Iterator[OidcDesk]:
    """The desk beside the sandbox's provider, desk passwords on (as SALESAGENT_DESK_PASSWORDS
    keeps them) or off (the default beside a provider)."""
    add_operators(database_url)
    with session_scope(database_url) as session:
        add_oidc_operator(session, "olga", "reviewer", OLGA.email, actor="test")
        add_oidc_operator(session, "otto", "admin", "otto@seller.example", actor="test")
    reviews: list[dict[str, Any]] = []

    def run_review(key: str, config: dict[str, Any]) -> ReviewRun:
        reviews.append({"key": key, **config})
        return ReviewRun("run", True, "approved", {"action": config["action"]})

    with start_oidc_provider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as provider:
        provider.sign_in_as(OLGA)

        def make_context(url: str) -> EdgeContext:
            provider.allow_redirect_uri(url + CALLBACK_PATH)
            config = OidcConfig(provider.issuer, CLIENT_ID, CLIENT_SECRET, "seller.example")
            base = edge_context(database_url, hubspot_url, url)
            return replace(
                base, oidc=OidcClient(config), run_review=run_review, passwords=passwords
            )

        with serving(make_context, "internal") as (url, context):
            yield OidcDesk(url, context, provider, reviews)


@pytest.fixture
def oidc_desk(database_url: str, hubspot_emulator) -> Iterator[OidcDesk]:
    with serving_oidc_desk(database_url, hubspot_emulator.url, passwords=True) as desk:
        yield desk


def test_an_operators_provider_account_signs_in_with_the_role_our_db_gives(oidc_desk):
    client = oidc_desk.client()
    callback = oidc_desk.callback_url(client)
    sent = parse_qs(urlsplit(callback).query)
    assert set(sent) == {"code", "state"}
    signed_in = oidc_desk.sign_in(client, callback)
    assert signed_in.status == 303 and signed_in.location == "/review"
    assert "salesagent_desk_pre" not in client.cookies  # the started sign-in is spent
    queue = client.get("/review")
    assert queue.status == 200 and "olga (reviewer)" in queue.body
    check = client.get("/auth/check")
    assert check.headers["x-salesagent-operator"] == "olga"
    assert check.headers["x-salesagent-role"] == "reviewer"
    with session_scope(oidc_desk.database_url) as session:
        identity = session.scalar(
            select(OperatorIdentity).where(OperatorIdentity.operator == "olga")
        )
        assert identity is not None
        assert (identity.issuer, identity.subject) == (oidc_desk.provider.issuer, OLGA.subject)
        signed = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "operator_signed_in")
        ).all()
        assert [(e.actor, e.details) for e in signed] == [
            ("olga", {"method": "oidc", "issuer": oidc_desk.provider.issuer,
                      "provider_subject": OLGA.subject}),
        ]  # fmt: skip


def test_the_authorization_request_carries_pkce_state_and_nonce(oidc_desk):
    started = oidc_desk.start(oidc_desk.client())
    query = parse_qs(urlsplit(started.location).query)
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert "openid" in query["scope"][0].split() and query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["code_challenge"][0] and query["hd"] == ["seller.example"]
    assert query["redirect_uri"] == [oidc_desk.url + CALLBACK_PATH]


def test_a_review_by_an_oidc_operator_is_recorded_as_signed_in_under_their_name(oidc_desk):
    key = oidc_desk.add_waiting_lead()
    client = oidc_desk.client()
    assert oidc_desk.sign_in(client).status == 303
    csrf = client.get(f"/review/lead/{key}").csrf()
    client.post(f"/review/lead/{key}", [("csrf", csrf), ("action", "approve"),
                                        ("version", "1"), ("reason", "fine")])  # fmt: skip
    (review,) = oidc_desk.reviews
    assert (review["reviewer"], review["reviewer_kind"]) == ("olga", "signed_in")
    with session_scope(oidc_desk.database_url) as session:
        assert proves_identity(session, review["identity_proof"], "olga", key)


def test_the_subject_bound_at_first_sign_in_is_the_only_one_for_that_operator(oidc_desk):
    assert oidc_desk.sign_in(oidc_desk.client()).status == 303
    # Later the address belongs to another account at the provider: it is not olga.
    oidc_desk.provider.sign_in_as(replace(OLGA, subject="google-sub-2002"))
    other = oidc_desk.client()
    refused = oidc_desk.sign_in(other)
    assert refused.status == 403 and nobody_signed_in(other)
    # Olga's own account still signs in, under a changed address too.
    oidc_desk.provider.sign_in_as(replace(OLGA, email="olga.k@seller.example"))
    assert oidc_desk.sign_in(oidc_desk.client()).status == 303


def test_a_rotated_provider_key_is_fetched_again(oidc_desk):
    assert oidc_desk.sign_in(oidc_desk.client()).status == 303
    oidc_desk.provider.rotate_key()  # a new kid the desk's cached JWKS does not hold
    assert oidc_desk.sign_in(oidc_desk.client()).status == 303


def test_a_wrong_state_is_refused_before_any_code_is_exchanged(oidc_desk):
    client = oidc_desk.client()
    callback = oidc_desk.callback_url(client)
    query = parse_qs(urlsplit(callback).query)
    forged = f"{CALLBACK_PATH}?code={query['code'][0]}&state=someone-elses-state"
    answer = client.get(forged)
    assert answer.status == 401 and "does not belong to this browser" in answer.body
    assert oidc_desk.provider.tokens_issued == 0
    assert nobody_signed_in(client)


def test_a_callback_without_this_browsers_sign_in_is_refused(oidc_desk):
    """Login CSRF at the callback: an attacker's own code and state, sent to a victim's
    browser, find no started sign-in there."""
    attacker = oidc_desk.client()
    callback = oidc_desk.callback_url(attacker)
    victim = oidc_desk.client()
    answer = oidc_desk.sign_in(victim, callback)
    assert answer.status == 400 and nobody_signed_in(victim)
    assert oidc_desk.provider.tokens_issued == 0


def test_a_callback_replayed_is_refused(oidc_desk):
    client = oidc_desk.client()
    callback = oidc_desk.callback_url(client)
    pre = client.cookies["salesagent_desk_pre"]
    assert oidc_desk.sign_in(client, callback).status == 303
    thief = oidc_desk.client()
    thief.cookies["salesagent_desk_pre"] = pre  # the cookie and the URL, both copied
    answer = oidc_desk.sign_in(thief, callback)
    assert answer.status == 401 and nobody_signed_in(thief)  # the code served once


@pytest.mark.parametrize(
    ("forgery", "why"),
    [
        ({"claims": {"nonce": "a-nonce-from-another-sign-in"}}, "nonce"),
        ({"claims": {"nonce": None}}, "nonce"),
        ({"other_key": True}, "bad_signature"),
        ({"claims": {"aud": "another-client"}}, "aud"),
        ({"claims": {"aud": "another-client", "azp": CLIENT_ID}}, "aud"),
        ({"claims": {"iss": "https://accounts.example"}}, "iss"),
        ({"claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}}, "exp"),
    ],
    ids=["wrong-nonce", "no-nonce", "other-key", "wrong-aud", "wrong-aud-right-azp",
         "wrong-iss", "expired"],
)  # fmt: skip
def test_an_id_token_that_does_not_hold_is_refused(oidc_desk, forgery, why):
    oidc_desk.provider.forge_next(**forgery)
    client = oidc_desk.client()
    answer = oidc_desk.sign_in(client)
    assert answer.status == 401 and "Sign-in refused: the ID token was not accepted" in answer.body
    assert why in answer.body
    assert oidc_desk.provider.tokens_issued == 1  # it did reach the token endpoint
    assert nobody_signed_in(client)


@pytest.mark.parametrize(
    ("account", "said"),
    [
        (replace(OLGA, email_verified=False), "has not verified"),
        (Account("google-sub-3003", "nobody@seller.example", hosted_domain="seller.example"),
         "may not use the review desk"),
        (replace(OLGA, subject="google-sub-4004", hosted_domain=""), "Only seller.example"),
        (Account("google-sub-5005", "olga@elsewhere.example"), "Only seller.example"),
    ],
    ids=["unverified-email", "no-operator", "not-in-the-workspace", "other-domain"],
)  # fmt: skip
def test_an_identity_that_is_not_an_allowed_operator_is_refused(oidc_desk, account, said):
    oidc_desk.provider.sign_in_as(account)
    client = oidc_desk.client()
    answer = oidc_desk.sign_in(client)
    assert answer.status == 403 and said in answer.body
    assert nobody_signed_in(client)


def test_a_disabled_operator_is_refused_and_signed_out(oidc_desk):
    client = oidc_desk.client()
    assert oidc_desk.sign_in(client).status == 303
    with session_scope(oidc_desk.database_url) as session:
        disable_operator(session, "olga", actor="test")
    assert client.get("/review").status == 303  # the open session ends at once
    again = oidc_desk.client()
    answer = oidc_desk.sign_in(again)
    assert answer.status == 403 and nobody_signed_in(again)


def test_the_provider_saying_no_signs_nobody_in(oidc_desk):
    client = oidc_desk.client()
    oidc_desk.start(client)
    answer = client.get(f"{CALLBACK_PATH}?error=access_denied&state=whatever")
    assert answer.status == 401 and "access_denied" in answer.body
    assert nobody_signed_in(client)


def test_the_oidc_start_needs_the_sign_in_pages_csrf_token(oidc_desk):
    client = oidc_desk.client()
    client.get("/signin")
    for form in ([("next", "/review")], [("csrf", "forged"), ("next", "/review")]):
        answer = client.post("/signin/oidc", form)
        assert answer.status == 403 and not answer.location
    # Nothing was started: a callback finds no sign-in to finish.
    assert client.get(f"{CALLBACK_PATH}?code=c&state=s").status == 400
    assert nobody_signed_in(client)


def test_an_oidc_operator_has_no_desk_password(oidc_desk):
    client = oidc_desk.client()
    for password in ("", "a-password-olga-never-had"):
        assert client.sign_in("olga", password).status == 401
    assert nobody_signed_in(client)


def test_an_unreachable_provider_is_said_and_signs_nobody_in(database_url, hubspot_emulator):
    with start_oidc_provider() as gone:
        issuer = gone.issuer  # a port nothing listens on once the block ends

    def make_context(url: str) -> EdgeContext:
        base = edge_context(database_url, hubspot_emulator.url, url)
        return replace(base, oidc=OidcClient(OidcConfig(issuer, CLIENT_ID, CLIENT_SECRET)))

    with serving(make_context, "internal") as (url, _):
        client = DeskClient(url)
        csrf = client.get("/signin").csrf()
        answer = client.post("/signin/oidc", [("csrf", csrf), ("next", "/review")])
        assert answer.status == 502 and "could not be reached" in answer.body
        assert nobody_signed_in(client)


def test_adding_an_operator_again_lets_a_new_provider_account_bind(oidc_desk):
    assert oidc_desk.sign_in(oidc_desk.client()).status == 303
    recreated = replace(OLGA, subject="google-sub-6006")  # the account made anew
    oidc_desk.provider.sign_in_as(recreated)
    assert oidc_desk.sign_in(oidc_desk.client()).status == 403
    with session_scope(oidc_desk.database_url) as session:
        add_oidc_operator(session, "olga", "reviewer", OLGA.email, actor="admin")
    assert oidc_desk.sign_in(oidc_desk.client()).status == 303


def test_beside_the_provider_desk_passwords_are_off(database_url, hubspot_emulator):
    """The default with a provider: no password form, and a right password posted anyway is
    refused before it is checked; the provider's sign-in still works."""
    with serving_oidc_desk(database_url, hubspot_emulator.url, passwords=False) as desk:
        client = desk.client()
        page = client.get("/signin")
        assert page.status == 200 and 'action="/signin/oidc"' in page.body
        assert 'action="/signin"' not in page.body and 'type="password"' not in page.body
        refused = client.sign_in("ada", PASSWORDS["ada"])
        assert refused.status == 403 and "Desk passwords are off" in refused.body
        assert nobody_signed_in(client)
        with session_scope(desk.database_url) as session:
            assert sign_in_delay_seconds(session, "ada") == 0  # nothing counted against ada
        assert desk.sign_in(client).status == 303
        assert "olga (reviewer)" in client.get("/review").body

"""The password sign-in's guards, served for real: its form works only from the desk's own
page (login CSRF), and guessing is slowed where it happens without letting anyone lock a
known operator out from elsewhere. Addresses are set as the proxy passes them
(X-Forwarded-For, which uvicorn believes from 127.0.0.1)."""

from __future__ import annotations

from salesagent_dagster.services.operators import (
    MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
    MAX_FAILURES_PER_ADDRESS,
    SLOW_AFTER_ACCOUNT_FAILURES,
    SLOW_DOWN_MAX_SECONDS,
    sign_in_delay_seconds,
)
from salesagent_dagster.store.database import session_scope
from salesagent_dagster_tests.desk.conftest import PASSWORDS
from salesagent_dagster_tests.desk.desk_client import DeskClient

GUESSER, OPERATOR = "203.0.113.7", "198.51.100.2"


def from_address(desk, address: str) -> DeskClient:
    client = desk.client()
    client.address = address
    return client


def test_a_sign_in_form_posted_from_elsewhere_signs_nobody_in(desk):
    right = [("name", "rick"), ("password", PASSWORDS["rick"]), ("next", "/review")]
    # Another site's form: no pre-session of ours in this browser, or a token not its own.
    victim = desk.client()
    assert victim.post("/signin", right).status == 403
    other_browsers = desk.client().get("/signin").csrf()
    victim.get("/signin")
    answer = victim.post("/signin", [("csrf", other_browsers), *right])
    assert answer.status == 403 and "out of date" in answer.body
    assert "salesagent_desk" not in victim.cookies
    assert victim.get("/review").status == 303
    # The page's own token signs in, and the pre-session ends with it.
    assert victim.post("/signin", [("csrf", answer.csrf()), *right]).status == 303
    assert "salesagent_desk_pre" not in victim.cookies


def test_a_guesser_elsewhere_does_not_lock_the_operator_out(desk):
    guesser = from_address(desk, GUESSER)
    for n in range(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        assert guesser.sign_in("rick", f"guess-{n}").status == 401
    # The guesser's address is stopped on this account, even with the right password ...
    stopped = guesser.sign_in("rick", PASSWORDS["rick"])
    assert stopped.status == 429 and int(stopped.headers["retry-after"]) > 0
    assert "salesagent_desk" not in guesser.cookies
    # ... and rick, at his own address, signs in as ever.
    assert from_address(desk, OPERATOR).sign_in("rick", PASSWORDS["rick"]).status == 303


def test_guessing_spread_over_addresses_slows_the_account_but_never_refuses_it(desk):
    for n in range(SLOW_AFTER_ACCOUNT_FAILURES + 2):
        assert from_address(desk, f"203.0.113.{n + 10}").sign_in("rick", "guess").status == 401
    with session_scope(desk.database_url) as session:
        delay = sign_in_delay_seconds(session, "rick")
        assert 0 < delay <= SLOW_DOWN_MAX_SECONDS
        assert sign_in_delay_seconds(session, "ada") == 0  # only the account guessed at
    # Slowed, not refused: the right password from rick's address still gets in.
    assert from_address(desk, OPERATOR).sign_in("rick", PASSWORDS["rick"]).status == 303


def test_one_address_trying_many_names_is_stopped_there_only(desk):
    guesser = from_address(desk, GUESSER)
    for n in range(MAX_FAILURES_PER_ADDRESS):
        assert guesser.sign_in(f"name-{n}", "guess").status == 401
    assert guesser.sign_in("ada", PASSWORDS["ada"]).status == 429
    assert from_address(desk, OPERATOR).sign_in("ada", PASSWORDS["ada"]).status == 303

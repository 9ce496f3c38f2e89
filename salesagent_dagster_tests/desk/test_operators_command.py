"""`salesagent operators add` keeps only a hash, refuses weak input, and the name can sign in;
with `--oidc-email` it keeps no password and the email waits for its first sign-in."""

from __future__ import annotations

from click.testing import CliRunner

from salesagent_dagster.cli import main
from salesagent_dagster.services.operators import sign_in
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import Operator
from salesagent_dagster.store.operators import identity_of


def test_operators_add_stores_an_argon2_hash_that_signs_in(dagster_home):
    from salesagent_dagster.settings import database_url

    url = database_url()
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(main, ["operators", "add", "mia", "--role", "admin"],
                          input="correct horse battery\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    short = runner.invoke(main, ["operators", "add", "tom"], input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    with session_scope(url) as session:
        mia = session.get(Operator, "mia")
        assert mia is not None and mia.role == "admin"
        assert mia.password_hash.startswith("$argon2id$")
        assert "correct horse" not in mia.password_hash
        assert session.get(Operator, "tom") is None
        assert sign_in(session, "mia", "correct horse battery", "127.0.0.1").role == "admin"
    listed = runner.invoke(main, ["operators", "list"])
    assert "mia" in listed.output and "admin" in listed.output


def test_operators_add_with_an_oidc_email_keeps_no_password(dagster_home):
    from salesagent_dagster.settings import database_url

    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(main, ["operators", "add", "olga", "--role", "viewer",
                                 "--oidc-email", "Olga@Seller.Example"])  # fmt: skip
    assert added.exit_code == 0, added.output
    taken = runner.invoke(main, ["operators", "add", "eve", "--oidc-email", "olga@seller.example"])
    assert taken.exit_code != 0 and "already signs in as operator olga" in taken.output
    bad = runner.invoke(main, ["operators", "add", "tom", "--oidc-email", "not-an-address"])
    assert bad.exit_code != 0 and "--oidc-email" in bad.output
    with session_scope(database_url()) as session:
        olga = session.get(Operator, "olga")
        assert olga is not None and olga.role == "viewer" and olga.password_hash == ""
        identity = identity_of(session, "olga")
        assert identity is not None and identity.email == "olga@seller.example"
        assert identity.subject is None  # bound at the first sign-in
        assert not sign_in(session, "olga", "", "127.0.0.1").ok
        assert session.get(Operator, "eve") is None and session.get(Operator, "tom") is None
    listed = runner.invoke(main, ["operators", "list"])
    assert "OpenID olga@seller.example (not signed in yet)" in listed.output


def test_a_password_added_beside_a_provider_is_said_to_be_off(dagster_home, monkeypatch):
    monkeypatch.setenv("SALESAGENT_OIDC_ISSUER", "https://accounts.google.com")
    monkeypatch.setenv("SALESAGENT_OIDC_CLIENT_ID", "desk")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(main, ["operators", "add", "mia"], input="correct horse battery\n")
    assert added.exit_code == 0, added.output
    assert "desk passwords are off" in added.output and "--oidc-email" in added.output
    monkeypatch.setenv("SALESAGENT_DESK_PASSWORDS", "true")
    kept = runner.invoke(main, ["operators", "add", "mia"], input="correct horse battery\n")
    assert kept.exit_code == 0 and "off" not in kept.output

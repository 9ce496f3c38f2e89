"""The OpenID settings are read in settings.py and refused when half set or not https; the
provider's discovery must name the configured issuer exactly (OpenID Discovery 4.3)."""

from __future__ import annotations

import pytest

from salesagent_dagster.sandbox.oidc_provider import start_oidc_provider
from salesagent_dagster.services.oidc_client import OidcClient, OidcConfig, OidcUnavailable
from salesagent_dagster.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SALESAGENT_OIDC_ISSUER": "https://accounts.google.com"}, "go together"),
        ({"SALESAGENT_OIDC_CLIENT_ID": "desk"}, "go together"),
        ({"SALESAGENT_OIDC_ISSUER": "http://idp.example", "SALESAGENT_OIDC_CLIENT_ID": "d"},
         "https"),
    ],
)  # fmt: skip
def test_half_or_plain_http_oidc_settings_stop_the_start(monkeypatch, env, said):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=said):
        load_settings()


@pytest.mark.parametrize(
    ("issuer", "kept", "on"),
    [("", None, True), ("https://accounts.google.com", None, False),
     ("https://accounts.google.com", "true", True), ("", "true", True)],
)  # fmt: skip
def test_desk_passwords_are_off_beside_a_provider_unless_kept(monkeypatch, issuer, kept, on):
    if issuer:
        monkeypatch.setenv("SALESAGENT_OIDC_ISSUER", issuer)
        monkeypatch.setenv("SALESAGENT_OIDC_CLIENT_ID", "desk")
    if kept is not None:
        monkeypatch.setenv("SALESAGENT_DESK_PASSWORDS", kept)
    assert load_settings().desk_passwords_on is on


def test_desk_passwords_off_without_a_provider_stop_the_start(monkeypatch):
    monkeypatch.setenv("SALESAGENT_DESK_PASSWORDS", "false")
    with pytest.raises(SettingsError, match="nobody could sign in"):
        load_settings()


def test_the_client_secret_is_kept_out_of_the_settings_repr(monkeypatch):
    monkeypatch.setenv("SALESAGENT_OIDC_ISSUER", "https://accounts.google.com")
    monkeypatch.setenv("SALESAGENT_OIDC_CLIENT_ID", "desk.apps.googleusercontent.com")
    monkeypatch.setenv("SALESAGENT_OIDC_CLIENT_SECRET", "GOCSPX-very-secret")
    settings = load_settings()
    assert settings.oidc_client_secret == "GOCSPX-very-secret"
    assert OidcConfig(settings.oidc_issuer, settings.oidc_client_id).label == "Google"
    assert "GOCSPX" not in repr(settings)


def test_discovery_naming_another_issuer_is_refused():
    with start_oidc_provider() as provider:
        assert OidcClient(OidcConfig(provider.issuer, "sandbox-desk")).metadata()["jwks_uri"]
        mixed_up = OidcClient(OidcConfig(provider.issuer + "/", "sandbox-desk"))
        with pytest.raises(OidcUnavailable, match="names issuer"):
            mixed_up.metadata()

"""The HubSpot and Gmail emulators running together, and the environment pointing at them.

Everything the product does against them goes through the configuration contract (base
URLs, tokens), exactly as it would against the real services.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

SANDBOX_SENDER = "riley@seller.example"
SANDBOX_REFRESH_TOKEN = "sandbox-refresh-token"  # noqa: S105 (the emulator's, not a secret)
# A second rep, for connecting more mailboxes (`salesagent gmail connect`).
SECOND_REP = "sam@seller.example"
SECOND_REP_REFRESH_TOKEN = "sandbox-refresh-token-sam"  # noqa: S105
SANDBOX_HUBSPOT_TOKEN = "sandbox-hubspot-token"  # noqa: S105
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105
# The sandbox's OpenID provider, for the desk's sign-in (`salesagent sandbox --oidc-email`).
SANDBOX_OIDC_CLIENT_ID = "sandbox-desk"
SANDBOX_OIDC_CLIENT_SECRET = "sandbox-desk-secret"  # noqa: S105
DESK_CALLBACK = (
    "http://127.0.0.1:8081/signin/oidc/callback"  # `salesagent serve --surface internal`
)


@dataclass(frozen=True)
class SandboxStack:
    hubspot: Any
    gmail: Any

    @property
    def env(self) -> dict[str, str]:
        return sandbox_env(self.hubspot.url, self.gmail.url)


def sandbox_env(hubspot_url: str, gmail_url: str) -> dict[str, str]:
    """The configuration contract, filled in for the emulators. Real sends stay off."""
    return {
        "HUBSPOT_ACCESS_TOKEN": SANDBOX_HUBSPOT_TOKEN,
        "HUBSPOT_API_BASE_URL": hubspot_url,
        "HUBSPOT_FORM_IDS": "",
        "GMAIL_API_BASE_URL": gmail_url,
        "GOOGLE_TOKEN_URI": f"{gmail_url}/token",
        "GOOGLE_CLIENT_ID": SANDBOX_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "GMAIL_REFRESH_TOKEN": SANDBOX_REFRESH_TOKEN,
        "SENDER_EMAIL": SANDBOX_SENDER,
        "SENDER_NAME": "Riley Rep",
        "ALLOW_REAL_SENDS": "false",
        "SALESAGENT_POSTAL_ADDRESS": "Seller Example Inc., 500 Market Street, San Francisco, CA 94105",
        "SALESAGENT_KNOWN_GOOD": "brightpath.io",
        "SALESAGENT_COMPETITOR_DOMAINS": "rival-sales-ai.com",
    }


@contextmanager
def running_sandbox(hubspot_port: int = 0, gmail_port: int = 0) -> Iterator[SandboxStack]:
    from salesagent_dagster.sandbox import start_gmail_emulator, start_hubspot_emulator

    with (
        start_hubspot_emulator(port=hubspot_port, access_token=SANDBOX_HUBSPOT_TOKEN) as hubspot,
        start_gmail_emulator(
            port=gmail_port,
            mailboxes={
                SANDBOX_SENDER: SANDBOX_REFRESH_TOKEN,
                SECOND_REP: SECOND_REP_REFRESH_TOKEN,
            },
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
        ) as gmail,
    ):
        yield SandboxStack(hubspot=hubspot, gmail=gmail)


def apply_env(values: dict[str, str]) -> None:
    """Export to this process and every subprocess it starts (daemon, run workers)."""
    os.environ.update(values)


@contextmanager
def running_oidc_provider(port: int, email: str) -> Iterator[tuple[Any, dict[str, str]]]:
    """The sandbox's OpenID provider signing in `email`, for the desk served on :8081, and
    the desk's settings for it (add the operator with `operators add --oidc-email`)."""
    from salesagent_dagster.sandbox.oidc_provider import Account, start_oidc_provider

    with start_oidc_provider(
        port=port,
        client_id=SANDBOX_OIDC_CLIENT_ID,
        client_secret=SANDBOX_OIDC_CLIENT_SECRET,
        redirect_uris=(DESK_CALLBACK,),
    ) as provider:
        provider.sign_in_as(Account(f"sandbox-{email}", email))
        yield (
            provider,
            {
                "SALESAGENT_OIDC_ISSUER": provider.issuer,
                "SALESAGENT_OIDC_CLIENT_ID": SANDBOX_OIDC_CLIENT_ID,
                "SALESAGENT_OIDC_CLIENT_SECRET": SANDBOX_OIDC_CLIENT_SECRET,
            },
        )

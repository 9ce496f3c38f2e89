"""Local emulators of HubSpot and Gmail that speak their real REST wire formats, and an
OpenID Connect provider for the review desk's sign-in.

They import nothing from the rest of the package, so they can run as separate processes
(`python -m salesagent_dagster.sandbox.hubspot_emulator --port N`, same for `gmail_emulator`)
and stand in for the real services in tests, the demo and benchmarks.

The exports are resolved lazily: importing the package must not import the emulator modules,
or `python -m` on one of them would find it already imported and warn.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from salesagent_dagster.sandbox.gmail_emulator import GmailEmulator, start_gmail_emulator
    from salesagent_dagster.sandbox.hubspot_emulator import (
        HubSpotEmulator,
        start_hubspot_emulator,
    )
    from salesagent_dagster.sandbox.oidc_provider import OidcProvider, start_oidc_provider

__all__ = [
    "GmailEmulator",
    "HubSpotEmulator",
    "OidcProvider",
    "start_gmail_emulator",
    "start_hubspot_emulator",
    "start_oidc_provider",
]

_HOMES = {
    "GmailEmulator": "gmail_emulator",
    "start_gmail_emulator": "gmail_emulator",
    "HubSpotEmulator": "hubspot_emulator",
    "start_hubspot_emulator": "hubspot_emulator",
    "OidcProvider": "oidc_provider",
    "start_oidc_provider": "oidc_provider",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)

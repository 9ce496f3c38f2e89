"""Local emulators of HubSpot and Gmail that speak their real REST wire formats.

They import nothing from the rest of the package, so they can run as separate processes
and stand in for the real services in tests, the demo and benchmarks.
"""

from salesagent_dagster.sandbox.gmail_emulator import GmailEmulator, start_gmail_emulator
from salesagent_dagster.sandbox.hubspot_emulator import HubSpotEmulator, start_hubspot_emulator

__all__ = ["GmailEmulator", "HubSpotEmulator", "start_gmail_emulator", "start_hubspot_emulator"]

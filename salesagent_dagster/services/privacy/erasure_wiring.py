"""Erasure wired to the configured resources: shared by the CLI and the `erase_person` job."""

from __future__ import annotations

from dagster import DagsterInstance

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.hubspot import HubSpotResource
from salesagent_dagster.services.mailboxes import gmail_for
from salesagent_dagster.services.privacy.erasure import ErasureReport, ErasureTargets, erase_person
from salesagent_dagster.services.privacy.verification import VerificationReport, verify_erased


def erase_with(
    address: str,
    instance: DagsterInstance,
    *,
    app_store: AppStoreResource,
    gmail: GmailResource,
    hubspot: HubSpotResource | None,
    hash_salt: str,
    actor: str,
) -> tuple[ErasureReport, VerificationReport]:
    report = erase_person(
        address,
        session_factory=app_store.session,
        database_url=app_store.database_url,
        hash_salt=hash_salt,
        targets=ErasureTargets(
            instance=instance,
            gmail_for_mailbox=lambda mailbox: gmail_for(mailbox, gmail, app_store),
            hubspot=hubspot,
        ),
        actor=actor,
    )
    verification = verify_erased(address, database_url=app_store.database_url, instance=instance)
    return report, verification


def erase_and_verify(
    address: str, instance: DagsterInstance, *, hubspot: bool, actor: str
) -> tuple[ErasureReport, VerificationReport]:
    """With resources read from the environment (the CLI)."""
    from salesagent_dagster.settings import resources_from_env

    resources = resources_from_env(resolve_secrets=True)
    return erase_with(
        address,
        instance,
        app_store=resources.app_store,
        gmail=resources.gmail,
        hubspot=resources.hubspot if hubspot else None,
        hash_salt=resources.outreach.salt,
        actor=actor,
    )

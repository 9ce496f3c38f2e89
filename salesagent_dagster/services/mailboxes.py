"""Which rep's mailbox writes to a lead, and a Gmail resource for it.

The lead's HubSpot owner picks the mailbox when that owner has connected one; otherwise the
default mailbox (SENDER_EMAIL) writes. Tokens of connected mailboxes are decrypted only here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.errors import AuthorizationRevoked
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.settings import token_vault
from salesagent_dagster.store import leads, mailboxes


def mailbox_for_owner(app_store: AppStoreResource, default: str, owner_email: str | None) -> str:
    """The owner's connected mailbox, or `default` when the owner has none."""
    if owner_email:
        with app_store.session() as session:
            row = mailboxes.get_mailbox(session, owner_email)
            if row is not None:
                return row.address
    return default


def gmail_for(mailbox: str, gmail: GmailResource, app_store: AppStoreResource) -> GmailResource:
    """The default resource for the default mailbox; a copy with the mailbox's own grant
    otherwise. A mailbox that needs reconnecting is refused without calling Google."""
    if mailbox.lower() == gmail.sender_email.lower():
        return gmail
    with app_store.session() as session:
        row = mailboxes.get_mailbox(session, mailbox)
        if row is None:
            raise LookupError(f"mailbox {mailbox} is not connected")
        if row.status != mailboxes.CONNECTED:
            raise AuthorizationRevoked("Gmail", f"mailbox {mailbox}: reconnect Gmail")
        refresh_token = token_vault().decrypt(row.refresh_token_encrypted)
        display_name = row.display_name
    return GmailResource(
        api_base_url=gmail.api_base_url,
        token_uri=gmail.token_uri,
        client_id=gmail.client_id,
        client_secret=gmail.client_secret,
        refresh_token=refresh_token,
        sender_email=row.address,
        sender_name=display_name,
        request_timeout_seconds=gmail.request_timeout_seconds,
    )


def lead_gmail(
    app_store: AppStoreResource, gmail: GmailResource, partition_key: str
) -> GmailResource:
    """The Gmail resource of the mailbox enrichment chose for this lead."""
    with app_store.session() as session:
        enriched = leads.get_enrichment(session, partition_key)
        mailbox = enriched.mailbox if enriched else gmail.sender_email
    return gmail_for(mailbox, gmail, app_store)


@contextmanager
def noting_revoked(app_store: AppStoreResource, mailbox: str) -> Iterator[None]:
    """Around a call to a rep's Gmail: a revoked grant marks the mailbox for reconnection
    before the error goes on, so no later run keeps trying a token Google has withdrawn."""
    try:
        yield
    except AuthorizationRevoked:
        note_revoked(app_store, mailbox)
        raise


def note_revoked(app_store: AppStoreResource, mailbox: str) -> None:
    """A revoked grant: stop using this mailbox until the rep reconnects it."""
    with app_store.session() as session:
        mailboxes.require_reconnect(session, mailbox)

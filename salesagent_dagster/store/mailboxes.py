"""Connected Gmail mailboxes beyond the default one (SENDER_EMAIL)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from salesagent_dagster.store.audit import record
from salesagent_dagster.store.models import ConnectedMailbox
from salesagent_dagster.store.token_vault import TokenVault

CONNECTED = "connected"
RECONNECT_REQUIRED = "reconnect_required"


def connect(
    session: Session, vault: TokenVault, address: str, display_name: str, refresh_token: str
) -> ConnectedMailbox:
    address = address.strip().lower()
    row = session.get(ConnectedMailbox, address)
    encrypted = vault.encrypt(refresh_token)
    if row is None:
        row = ConnectedMailbox(
            address=address, display_name=display_name, refresh_token_encrypted=encrypted,
            status=CONNECTED,
        )  # fmt: skip
        session.add(row)
    else:
        row.display_name = display_name or row.display_name
        row.refresh_token_encrypted, row.status = encrypted, CONNECTED
    record(session, actor="operator", action="gmail_connected", subject=None, details={})
    return row


def get_mailbox(session: Session, address: str) -> ConnectedMailbox | None:
    return session.get(ConnectedMailbox, address.strip().lower())


def require_reconnect(session: Session, address: str) -> None:
    row = get_mailbox(session, address)
    if row is not None and row.status != RECONNECT_REQUIRED:
        row.status = RECONNECT_REQUIRED
        record(session, actor="agent", action="gmail_reconnect_required", subject=None, details={})


def all_mailboxes(session: Session) -> Sequence[ConnectedMailbox]:
    return session.scalars(select(ConnectedMailbox).order_by(ConnectedMailbox.address)).all()

"""Each mailbox's Gmail history cursor: where the next history.list starts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from salesagent_dagster.store.models import MailboxCursor, utc_now


def get_cursor(session: Session, mailbox: str) -> MailboxCursor | None:
    return session.get(MailboxCursor, mailbox.strip().lower())


def save_cursor(
    session: Session, mailbox: str, history_id: str, *, resynced_at: datetime | None = None
) -> MailboxCursor:
    """Move the cursor to `history_id`; ids only go forward (Gmail's are monotonic), so an
    older id written by a slower, overlapping tick is ignored."""
    mailbox = mailbox.strip().lower()
    row = session.get(MailboxCursor, mailbox)
    if row is None:
        row = MailboxCursor(mailbox=mailbox, history_id=history_id)
        session.add(row)
    elif resynced_at is not None or int(history_id) > int(row.history_id):
        row.history_id = history_id
    row.updated_at = utc_now()
    if resynced_at is not None:
        row.last_resync_at = resynced_at
    session.flush()
    return row

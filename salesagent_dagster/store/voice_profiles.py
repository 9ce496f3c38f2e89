"""Learned voice profiles per mailbox: the current one, and every version learned.

`voice_profiles` holds each mailbox's current profile and its version; `voice_profile_versions`
keeps every learned version (its fields only, never the mail it was learned from), so a draft
that names a version can be explained later. Mailboxes are keyed lower-cased.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from salesagent_dagster.domain.voice_profile import DEFAULT_VOICE, VoiceProfile
from salesagent_dagster.store.models import SendLedgerEntry, VoiceProfileRow, VoiceProfileVersion


def _key(mailbox: str) -> str:
    return mailbox.strip().lower()


def voice_for(session: Session, mailbox: str) -> VoiceProfile:
    """The mailbox's current profile with its version; `DEFAULT_VOICE` (version 0) when
    nothing was learned yet."""
    row = session.get(VoiceProfileRow, _key(mailbox))
    if row is None:
        return DEFAULT_VOICE
    return replace(VoiceProfile.from_dict(row.profile), version=row.version)


def save_voice(session: Session, mailbox: str, profile: VoiceProfile) -> VoiceProfile:
    """Store a learned profile. A new style becomes the next version (appended to the
    versions, the current row updated); the same style keeps the stored version and row.
    Returns the profile as stored, with its version."""
    current = voice_for(session, mailbox)
    if current.version and current.style() == profile.style():
        return current
    latest = session.scalar(
        select(func.max(VoiceProfileVersion.version)).where(
            VoiceProfileVersion.mailbox == _key(mailbox)
        )
    )
    version = max(latest or 0, current.version) + 1
    stored = replace(profile, version=version)
    session.add(
        VoiceProfileVersion(mailbox=_key(mailbox), version=version, profile=stored.as_dict())
    )
    row = session.get(VoiceProfileRow, _key(mailbox))
    if row is None:
        session.add(
            VoiceProfileRow(mailbox=_key(mailbox), profile=stored.as_dict(), version=version)
        )
    else:
        row.profile, row.version = stored.as_dict(), version
    session.flush()
    return stored


def voice_versions(session: Session, mailbox: str) -> Sequence[VoiceProfile]:
    """Every version learned for the mailbox, oldest first."""
    rows = session.scalars(
        select(VoiceProfileVersion)
        .where(VoiceProfileVersion.mailbox == _key(mailbox))
        .order_by(VoiceProfileVersion.version)
    ).all()
    return [replace(VoiceProfile.from_dict(row.profile), version=row.version) for row in rows]


def mail_we_sent(session: Session, mailbox: str) -> tuple[frozenset[str], frozenset[str]]:
    """The Message-IDs (angle brackets stripped) and the Gmail message ids of everything the
    product sent or drafted from this mailbox, first emails and follow-ups: mail the voice
    learner must not read as the rep's own writing."""
    rows = session.execute(
        select(SendLedgerEntry.message_id, SendLedgerEntry.gmail_message_id).where(
            SendLedgerEntry.mailbox.in_({mailbox, _key(mailbox)})
        )
    ).all()
    message_ids = frozenset(message_id.strip().strip("<>") for message_id, _ in rows)
    gmail_ids = frozenset(gmail_id for _, gmail_id in rows if gmail_id)
    return message_ids, gmail_ids

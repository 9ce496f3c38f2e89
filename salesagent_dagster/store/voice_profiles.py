"""Learned voice profiles per mailbox."""

from __future__ import annotations

from sqlalchemy.orm import Session

from salesagent_dagster.domain.voice_profile import DEFAULT_VOICE, VoiceProfile
from salesagent_dagster.store.models import VoiceProfileRow


def voice_for(session: Session, mailbox: str) -> VoiceProfile:
    row = session.get(VoiceProfileRow, mailbox)
    return VoiceProfile.from_dict(row.profile) if row else DEFAULT_VOICE


def save_voice(session: Session, mailbox: str, profile: VoiceProfile) -> None:
    row = session.get(VoiceProfileRow, mailbox)
    if row is None:
        session.add(VoiceProfileRow(mailbox=mailbox, profile=profile.as_dict()))
    else:
        row.profile = profile.as_dict()

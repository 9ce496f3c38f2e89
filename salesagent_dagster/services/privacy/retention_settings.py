"""How long each kind of data is kept, from SALESAGENT_RETENTION_* (defaults: the roadmap's).

Kept apart from `settings.py` because only the retention job and CLI read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from salesagent_dagster.settings import SettingsError, load_settings

DEFAULT_CRON = "30 3 * * *"  # nightly, 03:30 in the schedule's timezone


@dataclass(frozen=True)
class RetentionSettings:
    draft_body_days: int = 30  # drafts' text blanked (row kept: version, author, template)
    draft_days: int = 90  # draft rows deleted
    lead_days: int = 90  # the lead, its submission and every row and run it has, deleted
    audit_days: int = 365
    cron: str = DEFAULT_CRON
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if not self.draft_body_days <= self.draft_days <= self.lead_days:
            raise SettingsError(
                "retention must keep draft bodies <= drafts <= leads: "
                f"got {self.draft_body_days}, {self.draft_days}, {self.lead_days} days "
                "(SALESAGENT_RETENTION_DRAFT_BODY_DAYS, _DRAFT_DAYS, _LEAD_DAYS)"
            )

    @property
    def draft_body_age(self) -> timedelta:
        return timedelta(days=self.draft_body_days)

    @property
    def draft_age(self) -> timedelta:
        return timedelta(days=self.draft_days)

    @property
    def lead_age(self) -> timedelta:
        return timedelta(days=self.lead_days)

    @property
    def audit_age(self) -> timedelta:
        return timedelta(days=self.audit_days)


def retention_from_env() -> RetentionSettings:
    settings = load_settings()
    return RetentionSettings(
        draft_body_days=settings.retention_draft_body_days,
        draft_days=settings.retention_draft_days,
        lead_days=settings.retention_lead_days,
        audit_days=settings.retention_audit_days,
        cron=settings.retention_cron,
        timezone=settings.retention_timezone,
    )

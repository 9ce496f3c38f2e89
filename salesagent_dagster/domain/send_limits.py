"""Per-contact and per-mailbox sending windows (DESIGN I-2).

Counting happens in the app DB inside the transaction that claims a send; this module only
says whether one more send fits.
"""

from __future__ import annotations

from dataclasses import dataclass

from salesagent_dagster.domain.safety.findings import Finding

# The rule a full window reports under: it defers a send, it refuses nothing
# (`send_authorization.may_refuse`).
SEND_LIMIT_RULE = "send_limit"


@dataclass(frozen=True)
class SendLimits:
    per_contact: int = 2
    per_contact_window_days: int = 7
    per_mailbox_per_day: int = 20
    # Paces one mailbox's real sends so bursts stay under Gmail's per-user sending quota.
    per_mailbox_per_minute: float = 50.0

    def __post_init__(self) -> None:
        if min(self.per_contact, self.per_contact_window_days, self.per_mailbox_per_day) < 1:
            raise ValueError("send limits must be at least 1")
        if self.per_mailbox_per_minute <= 0:
            raise ValueError("per_mailbox_per_minute must be positive")

    @property
    def seconds_between_sends(self) -> float:
        return 60.0 / self.per_mailbox_per_minute


@dataclass(frozen=True)
class SendVolume:
    """Emails already sent or drafted in the current windows."""

    to_contact_in_window: int
    from_mailbox_today: int


def check_send_limits(volume: SendVolume, limits: SendLimits) -> list[Finding]:
    findings = []
    if volume.to_contact_in_window >= limits.per_contact:
        findings.append(
            Finding(
                SEND_LIMIT_RULE,
                f"contact already got {volume.to_contact_in_window} emails in "
                f"{limits.per_contact_window_days} days (limit {limits.per_contact})",
                "",
            )
        )
    if volume.from_mailbox_today >= limits.per_mailbox_per_day:
        findings.append(
            Finding(
                SEND_LIMIT_RULE,
                f"mailbox sent {volume.from_mailbox_today} today (limit {limits.per_mailbox_per_day})",
                "",
            )
        )
    return findings

"""A lead's engagement in one word: the strongest thing that came back from them.

`process --once --json` and the demo report it per lead. An opt-out outranks everything (it
is forever, however it arrived: a one-click link leaves no message, only the suppression);
then a hard bounce; then the latest human reply; then a soft bounce; then an auto-reply.
"""

from __future__ import annotations

from collections.abc import Sequence

from salesagent_dagster.domain.replies.kinds import HUMAN_KINDS, ReplyKind

NONE = "none"
UNSUBSCRIBED = "unsubscribed"
# The suppression reasons that mean the person opted out (services.opt_out writes them).
OPT_OUT_REASONS = frozenset({"unsubscribed"})


def engagement_of(kinds_oldest_first: Sequence[str], suppression_reason: str | None) -> str:
    """One of: none | replied_<human kind> | auto_reply | bounced_hard | bounced_soft |
    unsubscribed. `kinds_oldest_first` are the stored classes of the lead's inbound mail,
    which may also hold `unreadable` or `ignored` (neither says anything about the lead)."""
    kinds = set(kinds_oldest_first)
    if ReplyKind.UNSUBSCRIBE in kinds or suppression_reason in OPT_OUT_REASONS:
        return UNSUBSCRIBED
    if ReplyKind.BOUNCE_HARD in kinds or suppression_reason == "hard_bounce":
        return "bounced_hard"
    human = [kind for kind in kinds_oldest_first if kind in HUMAN_KINDS]
    if human:
        return f"replied_{human[-1]}"
    if ReplyKind.BOUNCE_SOFT in kinds:
        return "bounced_soft"
    if ReplyKind.AUTO_REPLY in kinds:
        return "auto_reply"
    return NONE

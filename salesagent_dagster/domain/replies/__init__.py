"""Reply classification (issue 13): what came back from a lead, rules first.

`classify_reply(message, received_on=...)` is the one call the mailbox listener makes; the
`ReplyClassifier` protocol is the seam for a model-based classifier later.
"""

from salesagent_dagster.domain.replies.classifier import (
    ReplyClassifier,
    RuleClassifier,
    classify_reply,
)
from salesagent_dagster.domain.replies.kinds import Classification, ReplyKind

__all__ = ["Classification", "ReplyClassifier", "ReplyKind", "RuleClassifier", "classify_reply"]

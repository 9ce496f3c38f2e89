"""The shape every safety rule reports in."""

from __future__ import annotations

from dataclasses import dataclass

# Rules whose findings no operator may override (DESIGN I-8). A missing footer or
# unsubscribe is a legal defect (CAN-SPAM, RFC 8058), so it is hard too.
HARD_RULES = frozenset(
    {"suppression", "denylist", "kill_switch", "invalid_recipient", "compliance"}
)


# Soft rules an operator may take responsibility for, with a reason; every rule is one or
# the other (send_limit is neither: a full window defers the send, it refuses nothing).
# suspicious_input: the form carried line breaks, headers, addresses, links or markup (I-11);
# nothing of it reaches the email, but a person decides whether to write to that address.
OVERRIDABLE_RULES = frozenset(
    {"pii", "prohibited_content", "unresolved_placeholder", "unsupported_fact", "allowlist",
     "competitor", "role_account", "suspicious_input"}
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """What kind of problem, and where: never the offending value itself."""

    rule: str
    kind: str
    where: str

    @property
    def hard(self) -> bool:
        return self.rule in HARD_RULES

    def describe(self) -> str:
        return (
            f"{self.rule}: {self.kind} ({self.where})"
            if self.where
            else f"{self.rule}: {self.kind}"
        )


def locate(text: str, start: int, part: str) -> str:
    """'body line 4, column 12': enough to find it, without quoting it."""
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return f"{part} line {line}, column {column}"

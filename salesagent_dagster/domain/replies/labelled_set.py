"""The labelled replies: real RFC 5322 messages shipped inside the package, with their labels.

They ship as package data (pyproject's package-data takes `*.eml` and `*.toml`), so
`salesagent bench --replies` scores them from an installed wheel as well as a checkout.
"""

from __future__ import annotations

import email.policy
import tomllib
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.parser import BytesParser
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import cast

from salesagent_dagster.domain.replies.kinds import ReplyKind

LABELLED = files(__package__) / "labelled"


@dataclass(frozen=True)
class LabelledReply:
    file: str
    raw: bytes
    kind: ReplyKind
    received_on: date
    return_date: date | None
    bounced_recipient: str | None
    original_message_id: str | None
    unsubscribe_key: str | None
    note: str

    def message(self) -> EmailMessage:
        return cast(EmailMessage, BytesParser(policy=email.policy.default).parsebytes(self.raw))


def load_labelled(folder: Traversable = LABELLED) -> list[LabelledReply]:
    labels = tomllib.loads(folder.joinpath("labels.toml").read_text(encoding="utf-8"))
    return [
        LabelledReply(
            file=entry["file"],
            raw=folder.joinpath(entry["file"]).read_bytes(),
            kind=ReplyKind(entry["kind"]),
            received_on=date.fromisoformat(entry["received_on"]),
            return_date=date.fromisoformat(entry["return_date"])
            if "return_date" in entry
            else None,
            bounced_recipient=entry.get("bounced_recipient"),
            original_message_id=entry.get("original_message_id"),
            unsubscribe_key=entry.get("unsubscribe_key"),
            note=entry.get("note", ""),
        )
        for entry in labels["message"]
    ]

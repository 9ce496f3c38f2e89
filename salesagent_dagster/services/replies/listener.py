"""One listening pass over every mailbox of ours: the default one and each connected one.
A mailbox that fails (Gmail down, a revoked grant) is reported and skipped; the others are
still read, and its cursor stays where it was for the next pass."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.errors import AuthorizationRevoked, ServiceError
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.services.mailboxes import gmail_for, note_revoked
from salesagent_dagster.services.replies.listening import (
    MAX_MESSAGES_PER_TICK,
    ListeningSettings,
    PollReport,
    poll_mailbox,
)
from salesagent_dagster.store import inbound_mail, mailboxes
from salesagent_dagster.store.models import utc_now

# A matched message whose effects never finished is asked for again this long (its run_key
# keeps Dagster from starting it twice); after that it is a dead letter for an operator.
RE_REQUEST_WINDOW = timedelta(hours=24)


@dataclass
class ListeningReport:
    polls: list[PollReport] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # mailbox -> error class and service
    to_handle: list[int] = field(default_factory=list)  # every matched message still due

    @property
    def api_calls(self) -> int:
        return sum(poll.api_calls for poll in self.polls)


def our_mailboxes(gmail: GmailResource, app_store: AppStoreResource) -> list[str]:
    """The default mailbox first, then every connected one that may be read."""
    with app_store.session() as session:
        connected = [
            row.address
            for row in mailboxes.all_mailboxes(session)
            if row.status == mailboxes.CONNECTED
        ]
    default = gmail.sender_email.strip().lower()
    return [default, *(a for a in connected if a != default)]


def listen_to_mailboxes(
    gmail: GmailResource,
    app_store: AppStoreResource,
    *,
    hash_salt: str,
    auto_reply_delay_days: int,
    max_messages: int = MAX_MESSAGES_PER_TICK,
) -> ListeningReport:
    addresses = our_mailboxes(gmail, app_store)
    with app_store.session() as session:
        every = [row.address for row in mailboxes.all_mailboxes(session)]
    settings = ListeningSettings(
        own_addresses=frozenset(a.lower() for a in (*addresses, *every)),
        hash_salt=hash_salt,
        auto_reply_delay_days=auto_reply_delay_days,
        max_messages=max_messages,
    )
    report = ListeningReport()
    # One budget of message reads for the whole pass, not one per mailbox: the pass must end
    # inside the sensor's deadline however many mailboxes have a backlog. A mailbox left
    # without budget keeps its cursor and is read on the next pass.
    budget = settings.max_messages
    for address in addresses:
        try:
            poll = poll_mailbox(
                gmail_for(address, gmail, app_store),
                app_store,
                replace(settings, max_messages=budget),
            )
            report.polls.append(poll)
            budget = max(0, budget - poll.recorded)
        except AuthorizationRevoked as exc:
            note_revoked(app_store, address)
            report.errors[address] = f"{type(exc).__name__} ({exc.service})"
        except ServiceError as exc:
            report.errors[address] = f"{type(exc).__name__} ({exc.service})"
        except Exception as exc:  # one mailbox's fault never stops the others
            # The class only: a message's text could be in the exception (DESIGN I-6).
            report.errors[address] = type(exc).__name__
    # What this pass recorded, and anything an earlier pass recorded whose run never started.
    since = utc_now() - RE_REQUEST_WINDOW
    with app_store.session() as session:
        report.to_handle = inbound_mail.awaiting_effects(session, since)
    return report

"""What one mailbox tick costs: Gmail API calls and seconds, against an app DB holding many
sent leads (send-ledger rows) and a mailbox with many new messages since the cursor.

The tick measured is the sensor's work (`services.replies.listening.poll_mailbox`): one
history.list (and its pages), a raw fetch per new message, classification, matching against
the ledger and one commit. Dagster's own share of a sensor tick (a few ms to evaluate, plus a
run request per reply) is not in it. The sends are ledger rows only: the Gmail emulator holds
just the incoming messages, which is what history.list returns after the cursor anyway.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from salesagent_dagster.domain.email_address import email_fingerprint
from salesagent_dagster.local.sandbox_stack import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.sandbox import start_gmail_emulator
from salesagent_dagster.sandbox.gmail_inbound import reply_message
from salesagent_dagster.services.replies.listening import ListeningSettings, poll_mailbox
from salesagent_dagster.store.database import dispose_engine, migrate, session_scope
from salesagent_dagster.store.models import SendLedgerEntry

MAILBOX, REFRESH, SALT = "rep@bench.example", "bench-refresh", "bench-salt"
# What comes back, by share: mostly people, some out-of-office, some bounces.
_MIX = (("positive", 0.4), ("negative", 0.4), ("ooo", 0.1), ("bounce", 0.1))


@dataclass(frozen=True)
class MailboxTickFigures:
    sent_leads: int
    new_messages: int
    recorded: int
    matched: int
    left_for_next_tick: int
    api_calls: dict[str, int]  # by emulator handler: list_history, get_message, ...
    seconds: float
    idle_api_calls: int  # the next tick, with nothing new
    idle_seconds: float

    def format(self) -> str:
        calls = ", ".join(f"{name} {n}" for name, n in sorted(self.api_calls.items()))
        return "\n".join(
            [
                f"mailbox tick: {self.sent_leads:,} sent leads in the ledger, "
                f"{self.new_messages} new messages in Gmail",
                f"  one tick: {sum(self.api_calls.values())} Gmail API calls ({calls}), "
                f"{self.seconds:.2f} s; recorded {self.recorded}, matched {self.matched}",
                f"  ({self.seconds / max(1, self.recorded) * 1000:.1f} ms per message; "
                f"{self.left_for_next_tick} left for the next ticks by the per-tick cap)",
                f"  next tick, nothing new: {self.idle_api_calls} call(s), "
                f"{self.idle_seconds * 1000:.0f} ms",
            ]
        )


def measure_mailbox_tick(sent_leads: int = 10_000, new_messages: int = 500) -> MailboxTickFigures:
    """Seed `sent_leads` ledger rows and `new_messages` replies to some of them, then time
    one listening tick of the mailbox and the idle tick after it."""
    rng = random.Random(13)  # noqa: S311 (a reproducible mix, not a secret)
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_gmail_emulator(mailboxes={MAILBOX: REFRESH}) as emulator,
    ):
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        try:
            app_store = AppStoreResource(database_url=url)
            gmail = GmailResource(
                api_base_url=emulator.url, token_uri=f"{emulator.url}/token",
                client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET,
                refresh_token=REFRESH, sender_email=MAILBOX,
            )  # fmt: skip
            settings = ListeningSettings(own_addresses=frozenset({MAILBOX}), hash_salt=SALT)
            _seed_ledger(url, sent_leads)
            poll_mailbox(gmail, app_store, settings)  # first sight: the cursor starts here
            for n in rng.sample(range(sent_leads), new_messages):
                raw = reply_message(_our_message(n), _kind(rng))
                emulator.deliver_inbound(MAILBOX, "", "", "", raw=raw)
            emulator.reset_api_calls()
            started = time.perf_counter()
            report = poll_mailbox(gmail, app_store, settings)
            seconds = time.perf_counter() - started
            calls = dict(emulator.api_calls(MAILBOX))
            drained = report.recorded
            while drained < new_messages:  # the ticks the cap leaves, then an idle one
                drained += poll_mailbox(gmail, app_store, settings).recorded
            emulator.reset_api_calls()
            started = time.perf_counter()
            poll_mailbox(gmail, app_store, settings)
            idle_seconds = time.perf_counter() - started
            idle_calls = sum(emulator.api_calls(MAILBOX).values())
        finally:
            dispose_engine(url)
    return MailboxTickFigures(
        sent_leads=sent_leads, new_messages=new_messages, recorded=report.recorded,
        matched=len(report.to_handle), left_for_next_tick=report.left_for_next_tick,
        api_calls=calls, seconds=seconds,
        idle_api_calls=idle_calls, idle_seconds=idle_seconds,
    )  # fmt: skip


def _kind(rng: random.Random) -> str:
    return rng.choices([k for k, _ in _MIX], weights=[w for _, w in _MIX])[0]


def _address(n: int) -> str:
    return f"lead{n}@customer{n % 97}.example"


def _message_id(n: int) -> str:
    return f"<bench.{n}@bench.example>"


def _our_message(n: int) -> bytes:
    """The first email we sent lead `n`, as the reply builders read it."""
    message = EmailMessage()
    message["From"], message["To"] = f"Riley Rep <{MAILBOX}>", _address(n)
    message["Subject"] = "Your demo request"
    message["Date"] = format_datetime(datetime.now(UTC) - timedelta(days=1))
    message["Message-ID"] = _message_id(n)
    message["List-Unsubscribe"] = f"<mailto:{MAILBOX}?subject=unsubscribe%20lead-{n}>"
    message.set_content("Hi,\n\nthanks for asking for a demo. Would a call next week help?\n")
    return message.as_bytes()


def _seed_ledger(url: str, count: int) -> None:
    now = datetime.now(UTC) - timedelta(days=1)
    with session_scope(url) as session:
        session.add_all(
            SendLedgerEntry(
                partition_key=f"lead-{n}",
                message_id=_message_id(n),
                mailbox=MAILBOX,
                recipient_hash=email_fingerprint(_address(n), SALT),
                draft_version=1,
                mode="send",
                state="sent",
                gmail_message_id=f"{n:016x}",
                gmail_thread_id=f"t{n:015x}",
                claimed_at=now,
                updated_at=now,
            )
            for n in range(count)
        )

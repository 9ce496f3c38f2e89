"""Reply latency on the real daemon path: "a reply is recorded within 60 s of reaching the
mailbox" (and an opt-out suppressed within it, DESIGN I-12) with default settings.

`dagster-daemon` runs on a fresh local instance (dagster.yaml as committed, sensors on)
against the emulators, real sends on (to the Gmail emulator) so replies answer sent mail.
N leads reach a first email, then one at a time a reply of a mixed kind is inserted into
Gmail and timed from the moment Gmail accepted it to the moment its `inbound_messages` row
exists and, for an unsubscribe or bounce, to the moment the person is suppressed. Figures,
not assertions: run by `salesagent bench --replies`, never by the test suite.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from dagster import DagsterInstance

from salesagent_dagster.defs.returns.mailbox_sensor import POLL_INTERVAL_SECONDS
from salesagent_dagster.local.bench_daemon import (
    BENCH_DOMAIN,
    app_db_url,
    bench_home,
    instance_settings,
    percentile,
    running_daemon,
)
from salesagent_dagster.local.demo_seed import add_submission, default_form_id
from salesagent_dagster.local.sandbox_replies import put_reply
from salesagent_dagster.local.sandbox_stack import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    SANDBOX_SENDER,
    running_sandbox,
)
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.store import inbound_mail, leads, send_ledger, submission_keys, suppression

SENSOR = "mailbox_replies"
# What comes back, in turn: a person, an auto-reply and the two opt-outs.
KIND_CYCLE = ("positive", "ooo", "unsubscribe", "bounce")
OPT_OUTS = frozenset({"unsubscribe", "bounce"})
DB_POLL_SECONDS = 0.2
TARGET_SECONDS = 60.0


@dataclass(frozen=True)
class ReplySample:
    kind: str
    accepted_at: float  # when Gmail answered the insert
    recorded_s: float | None  # None: no row within the timeout
    suppressed_s: float | None  # opt-outs only; None: not suppressed within the timeout


@dataclass(frozen=True)
class ReplyLatencyFigures:
    leads: int
    first_emails_s: float  # from the first submission to the last lead's first email
    samples: list[ReplySample]
    tick_starts: list[float]  # the mailbox sensor's ticks, as Dagster stored them
    tick_seconds: list[float]  # and how long each one's evaluation took

    def format(self) -> str:
        recorded = [s.recorded_s for s in self.samples if s.recorded_s is not None]
        opt_outs = [s for s in self.samples if s.kind in OPT_OUTS]
        suppressed = [s.suppressed_s for s in opt_outs if s.suppressed_s is not None]
        kinds = ", ".join(f"{k} {sum(s.kind == k for s in self.samples)}" for k in KIND_CYCLE)
        lines = [
            "reply latency on the daemon path: Gmail accepted the reply -> app DB row "
            f"(polled every {DB_POLL_SECONDS} s)",
            *instance_settings(
                f"{SENSOR} min interval {POLL_INTERVAL_SECONDS} s, real sends to the emulator"
            ),
            f"{self.leads} leads sent a first email in {self.first_emails_s:.0f} s; "
            f"replies one at a time ({kinds}), each after a random 0-{POLL_INTERVAL_SECONDS} s "
            "pause",
            _figure_line("reply recorded", recorded, len(self.samples)),
            _figure_line("opt-out suppressed", suppressed, len(opt_outs)),
        ]
        waits = self._waits_for_tick()
        if waits and self.tick_seconds:
            lines.append(
                f"  where it goes: waiting for the sensor's next tick p50 "
                f"{statistics.median(waits):.1f} s (max {max(waits):.1f} s); a tick's "
                f"evaluation p50 {statistics.median(self.tick_seconds):.2f} s "
                f"(max {max(self.tick_seconds):.2f} s); ticks every "
                f"{statistics.median(_gaps(self.tick_starts)):.1f} s (p50)"
            )
        return "\n".join(lines)

    def _waits_for_tick(self) -> list[float]:
        """Per recorded reply: from Gmail accepting it to the start of the next tick (the one
        whose history.list lists it)."""
        waits = []
        for sample in self.samples:
            later = [t for t in self.tick_starts if t >= sample.accepted_at]
            if sample.recorded_s is not None and later:
                waits.append(min(later) - sample.accepted_at)
        return waits


def _figure_line(label: str, values: list[float], expected: int) -> str:
    if not values:
        return f"{label}: no samples ({expected} expected)"
    missed = expected - len(values)
    within = sum(v <= TARGET_SECONDS for v in values)
    return (
        f"{label} over {len(values)} replies: p50 {statistics.median(values):.1f} s, "
        f"p95 {percentile(values, 0.95):.1f} s, max {max(values):.1f} s   "
        f"(target <= {TARGET_SECONDS:.0f} s: {within}/{expected} within)"
        + (f"; {missed} never within the timeout" if missed else "")
    )


def _gaps(starts: list[float]) -> list[float]:
    ordered = sorted(starts)
    return [b - a for a, b in pairwise(ordered)] or [0.0]


def run_reply_latency_bench(
    lead_count: int = 10, timeout_s: float = 600, reply_timeout_s: float = 120, seed: int = 11
) -> ReplyLatencyFigures:
    rng = random.Random(seed)  # noqa: S311 (a reproducible phase, not a secret)
    with (
        bench_home("salesagent-replybench-") as home,
        running_sandbox() as stack,
        running_daemon(stack, home, {"ALLOW_REAL_SENDS": "true"}),
    ):
        app_store = AppStoreResource(database_url=app_db_url(home))
        gmail = GmailResource(
            api_base_url=stack.gmail.url, token_uri=f"{stack.gmail.url}/token",
            client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET,
            refresh_token=SANDBOX_REFRESH_TOKEN, sender_email=SANDBOX_SENDER,
        )  # fmt: skip
        form_id = default_form_id(stack.hubspot.url)
        started = time.time()
        for index in range(lead_count):
            values = {"email": f"reply-{index}@{BENCH_DOMAIN}", "firstname": "Reply"}
            add_submission(stack.hubspot.url, values, form_id)
        sent = _wait_for_first_emails(app_store, lead_count, timeout_s)
        first_emails_s = time.time() - started
        samples = []
        for index, (key, email_hash) in enumerate(sent):
            # Seeing a row means a tick just ran: a reply put at once would wait a whole
            # interval every time. A random pause samples every phase of the sensor's tick.
            time.sleep(rng.uniform(0, POLL_INTERVAL_SECONDS))
            kind = KIND_CYCLE[index % len(KIND_CYCLE)]
            samples.append(_time_reply(app_store, gmail, key, email_hash, kind, reply_timeout_s))
        starts, seconds = _sensor_ticks(home)
    return ReplyLatencyFigures(lead_count, first_emails_s, samples, starts, seconds)


def _wait_for_first_emails(
    app_store: AppStoreResource, lead_count: int, timeout_s: float
) -> list[tuple[str, str]]:
    """(partition key, email hash) of each lead once Gmail has sent its first email (the
    ledger holds the Gmail id a reply answers), or those sent by the timeout."""
    deadline = time.time() + timeout_s
    while True:
        with app_store.session() as session:
            sent = []
            for key in submission_keys.all_keys(session):
                entry = send_ledger.get_entry(session, key)
                lead = leads.get_lead(session, key)
                if entry and entry.gmail_message_id and lead and lead.email_hash:
                    sent.append((key, lead.email_hash))
        if len(sent) >= lead_count or time.time() > deadline:
            return sent
        time.sleep(DB_POLL_SECONDS)


def _time_reply(
    app_store: AppStoreResource,
    gmail: GmailResource,
    partition_key: str,
    email_hash: str,
    kind: str,
    timeout_s: float,
) -> ReplySample:
    put = put_reply(app_store, gmail, partition_key, kind)
    accepted = time.time()
    recorded: float | None = None
    suppressed: float | None = None
    opt_out = kind in OPT_OUTS
    while time.time() < accepted + timeout_s and (
        recorded is None or (opt_out and suppressed is None)
    ):
        now = time.time()
        with app_store.session() as session:
            if recorded is None and inbound_mail.recorded_ids(
                session, put.mailbox, [put.gmail_message_id]
            ):
                recorded = now - accepted
            if opt_out and suppressed is None and suppression.is_suppressed(session, email_hash):
                suppressed = now - accepted
        time.sleep(DB_POLL_SECONDS)
    return ReplySample(kind, accepted, recorded, suppressed)


def _sensor_ticks(home: Path) -> tuple[list[float], list[float]]:
    """Start timestamps and evaluation seconds of the mailbox sensor's ticks so far."""
    with DagsterInstance.from_config(str(home)) as instance:
        states = [s for s in instance.all_instigator_state() if s.instigator_name == SENSOR]
        ticks = [
            tick
            for state in states
            for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id)
        ]
    return (
        [tick.timestamp for tick in ticks],
        [tick.end_timestamp - tick.timestamp for tick in ticks if tick.end_timestamp],
    )

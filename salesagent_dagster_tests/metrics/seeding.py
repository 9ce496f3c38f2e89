"""A known state of the app DB and the Dagster instance, for the metrics tests to read back.

Rows are written with the app's own models (no service shortcut could skew what `/metrics`
counts); the instance gets a failed lead run and sensor/schedule states through its API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.remote_origin import (
    InProcessCodeLocationOrigin,
    RemoteInstigatorOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    ScheduleInstigatorData,
    SensorInstigatorData,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.utils import make_new_run_id

from salesagent_dagster.services.dead_letters import JOB_NAME
from salesagent_dagster.services.run_tags import PARTITION_TAG
from salesagent_dagster.store.database import session_scope
from salesagent_dagster.store.models import (
    CircuitBreakerRow,
    InboundMessage,
    Lead,
    ReviewDecision,
    SendDecision,
    SendDeferral,
    SendLedgerEntry,
    Submission,
    Suppression,
)

MAILBOXES = ("rep@seller.example", "second.rep@seller.example")
LEAD_EMAIL = "ana@acme.io"  # must never show in /metrics or `status`


@dataclass(frozen=True)
class Seeded:
    now: datetime
    keys: list[str]


def seed_app_db(database_url: str, now: datetime | None = None) -> Seeded:
    """Seven submissions (one rejected), six leads (one disqualified), five decisions (two
    auto-approved, two needing review of which one was rejected by an operator, one
    blocked), two first emails (sent after 8 s, drafted after 45 s) and a follow-up, a held
    and a deferred send, an open Gmail breaker, a positive reply and a hard bounce."""
    now = now or datetime.now(UTC)
    keys = [f"k{i}" for i in range(1, 8)]
    received = now - timedelta(hours=2)
    with session_scope(database_url) as session:
        for i, key in enumerate(keys):
            session.add(
                Submission(
                    partition_key=key, form_id="form", conversion_id=key, payload={},
                    status="rejected" if key == "k7" else "accepted",
                    received_at=received + timedelta(seconds=i),
                    dispatched_at=None if key == "k7" else received + timedelta(seconds=i + 1),
                )
            )  # fmt: skip
        session.flush()
        for key in keys[:6]:
            session.add(
                Lead(partition_key=key, email=LEAD_EMAIL, qualified=key != "k6",
                     status_reason="qualified")
            )  # fmt: skip
        decided = now - timedelta(minutes=90)
        for key, outcome in (
            ("k1", "auto_approve"), ("k2", "auto_approve"), ("k3", "needs_review"),
            ("k4", "needs_review"), ("k5", "blocked"),
        ):  # fmt: skip
            session.add(
                SendDecision(partition_key=key, draft_version=1, outcome=outcome,
                             confidence=0.9, threshold=0.85, rules_fired=[], rationale="-",
                             created_at=decided)
            )  # fmt: skip
        session.add(
            ReviewDecision(partition_key="k4", action="reject", reviewer="dana", reason="no",
                           draft_version=1)
        )  # fmt: skip
        for key, step, mailbox, state, after in (
            ("k1", 0, MAILBOXES[0], "sent", 8),
            ("k2", 0, MAILBOXES[1], "drafted", 46),
            ("k1", 1, MAILBOXES[0], "sent", 3 * 86400),
        ):
            session.add(
                SendLedgerEntry(
                    partition_key=key, step=step, message_id=f"<{key}.{step}@seller.example>",
                    mailbox=mailbox, recipient_hash="h-" + key, draft_version=1,
                    mode="send" if state == "sent" else "draft", state=state,
                    claimed_at=received, updated_at=received + timedelta(seconds=after - 1 + int(key[1:])),
                )
            )  # fmt: skip
        session.add(
            SendDeferral(partition_key="k8", reason="held: kill switch on", next_attempt_at=now)
        )
        session.add(
            SendDeferral(partition_key="k9", reason="mailbox daily limit", next_attempt_at=now)
        )
        session.add(
            CircuitBreakerRow(service="gmail", position="open", consecutive_failures=5,
                              opened_at=now - timedelta(minutes=10))
        )  # fmt: skip
        session.add(CircuitBreakerRow(service="hubspot", position="closed", consecutive_failures=0))
        inbound: tuple[tuple[str | None, str], ...] = (
            ("k1", "positive"), ("k2", "bounce_hard"), (None, "negative"),
        )  # fmt: skip
        for n, (lead_key, kind) in enumerate(inbound):
            session.add(
                InboundMessage(mailbox=MAILBOXES[0], gmail_message_id=f"m{n}", partition_key=lead_key,
                               kind=kind, reason="rule", received_at=now)
            )  # fmt: skip
        session.add(Suppression(email_hash="a" * 64, reason="unsubscribed"))
        session.add(Suppression(email_hash="b" * 64, reason="bounced"))
    return Seeded(now, keys)


def seed_instance(instance: DagsterInstance, now: datetime) -> None:
    """A lead whose only run failed (a dead letter), one whose run succeeded, a running sensor
    that ticked a minute ago and a schedule that has never ticked since it started."""
    for key, status in (("k1", DagsterRunStatus.SUCCESS), ("k3", DagsterRunStatus.FAILURE)):
        instance.add_run(
            DagsterRun(job_name=JOB_NAME, run_id=make_new_run_id(), status=status,
                       tags={PARTITION_TAG: key})
        )  # fmt: skip
    repository = RemoteRepositoryOrigin(
        InProcessCodeLocationOrigin(
            LoadableTargetOrigin(module_name="salesagent_dagster.definitions")
        ),
        "__repository__",
    )
    instance.add_instigator_state(
        InstigatorState(
            RemoteInstigatorOrigin(repository, "hubspot_submissions"),
            InstigatorType.SENSOR,
            InstigatorStatus.RUNNING,
            SensorInstigatorData(last_tick_timestamp=now.timestamp() - 60, min_interval=1),
        )
    )
    instance.add_instigator_state(
        InstigatorState(
            RemoteInstigatorOrigin(repository, "nightly_retention_schedule"),
            InstigatorType.SCHEDULE,
            InstigatorStatus.RUNNING,
            ScheduleInstigatorData("30 3 * * *", start_timestamp=now.timestamp() - 3600),
        )
    )

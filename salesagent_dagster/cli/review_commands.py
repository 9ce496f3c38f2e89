"""`salesagent review`: the review queue and approve / edit / reject from a terminal.

Every decision goes through the `review_lead` job, so it is recorded, checked and sent
exactly as a Launchpad review would be, and shows in the Dagster UI.
"""

from __future__ import annotations

import getpass
import json
from datetime import timedelta
from typing import Any

import click
from dagster import DagsterInstance
from sqlalchemy.orm import Session

from salesagent_dagster.local.instance import prepare_dagster_home
from salesagent_dagster.local.one_tick import QUIET_CONSOLE
from salesagent_dagster.services import undo_window
from salesagent_dagster.services.review import (
    ReviewAction,
    ReviewRequest,
    ReviewRun,
    Sender,
    edit_draft,
    run_review,
)
from salesagent_dagster.settings import load_settings, resources_from_env
from salesagent_dagster.store import drafts, leads, reviews
from salesagent_dagster.store.models import utc_now

PREVIEW_CHARS = 80


def review_sla() -> timedelta:
    return timedelta(minutes=load_settings().review_sla_minutes)


@click.group()
def review() -> None:
    """The queue of leads waiting for a person, and what to do with them."""


@review.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable queue.")
def list_queue(as_json: bool) -> None:
    """Waiting leads, longest-waiting first (held ones included), with the SLA, scores,
    failing checks and a preview."""
    rows = queue_rows()
    if as_json:
        click.echo(json.dumps({"queue": rows}, indent=2, default=str))
        return
    if not rows:
        click.echo("the review queue is empty")
        return
    for row in rows:
        late = " LATE" if row["overdue"] else ""
        held = f"  held by {row['held']['by']}: {row['held']['reason']}" if row["held"] else ""
        click.echo(
            f"{row['partition_key']}  waiting {row['waiting_minutes']:.0f} min{late}{held}  "
            f"ICP {row['icp_score']:.2f}  conf {row['confidence']:.2f}  "
            f"failing: {', '.join(row['failing_checks']) or '-'}\n    {row['preview']}"
        )


def queue_rows(min_confidence: float = 0.0) -> list[dict[str, Any]]:
    now, sla = utc_now(), review_sla()
    with resources_from_env().app_store.session() as session:
        rows = []
        for queued in reviews.review_queue(session):
            decision, key = queued.decision, queued.partition_key
            if decision.confidence < min_confidence:
                continue
            draft = drafts.latest_draft(session, key)
            enrichment = leads.get_enrichment(session, key)
            waiting = now - queued.since
            hold = queued.returned_by
            rows.append(
                {
                    "partition_key": key,
                    "waiting_minutes": waiting.total_seconds() / 60,
                    "overdue": waiting > sla,
                    "icp_score": enrichment.icp_score if enrichment else 0.0,
                    "confidence": decision.confidence,
                    "rules_fired": [r["rule"] for r in decision.rules_fired],
                    "rationale": decision.rationale,
                    "failing_checks": _failing_checks(session, key, decision.draft_version),
                    "draft_version": draft.version if draft else 0,
                    "preview": _preview(draft.subject, draft.body_text) if draft else "",
                    # Returned to review by a hold: who, and why (None: never reviewed yet).
                    "held": {"by": hold.reviewer, "reason": hold.reason} if hold else None,
                }
            )
        return rows


@review.command()
@click.argument("partition_key")
def show(partition_key: str) -> None:
    """The current draft, the decision, failing checks and the review history."""
    with resources_from_env().app_store.session() as session:
        draft = drafts.latest_draft(session, partition_key)
        decision = drafts.latest_decision(session, partition_key)
        if draft is None:
            raise click.ClickException(f"{partition_key}: no draft")
        click.echo(f"draft version {draft.version} by {draft.author}\nSubject: {draft.subject}\n")
        click.echo(draft.body_text)
        if decision is not None:
            click.echo(f"\ndecision: {decision.outcome} ({decision.confidence:.2f})")
            click.echo(f"rationale: {decision.rationale}")
        failing = _failing_checks(session, partition_key, draft.version, detail=True)
        click.echo(f"failing checks: {'; '.join(failing) or 'none'}")
        for past in reviews.reviews_for(session, partition_key):
            click.echo(
                f"{past.created_at:%Y-%m-%d %H:%M} {past.reviewer} {past.action} "
                f"v{past.draft_version}: {past.reason}"
            )


reviewer_option = click.option(
    "--reviewer", default=getpass.getuser, show_default="your login", help="Recorded."
)
reason_option = click.option("--reason", required=True, help="Why: recorded with the decision.")
override_option = click.option(
    "--override", "overrides", multiple=True, help="A soft rule you take responsibility for."
)
version_option = click.option(
    "--version", "draft_version", type=int, default=0, help="The draft version you read."
)


@review.command()
@click.argument("partition_key")
@reviewer_option
@reason_option
@override_option
@version_option
def approve(
    partition_key: str, reviewer: str, reason: str, overrides: tuple[str, ...], draft_version: int
) -> None:
    """Approve the current draft and send it through the gated send path."""
    _report(
        _launch(
            partition_key,
            action="approve",
            reviewer=reviewer,
            reason=reason,
            override_rules=list(overrides),
            draft_version=draft_version,
        )
    )


@review.command()
@click.argument("partition_key")
@reviewer_option
@reason_option
@override_option
@click.option("--subject", default="", help="The new subject (default: keep).")
@click.option("--body-file", type=click.File("r"), help="The new body; default opens $EDITOR.")
def edit(
    partition_key: str,
    reviewer: str,
    reason: str,
    overrides: tuple[str, ...],
    subject: str,
    body_file: Any,
) -> None:
    """Edit the draft (a new version; the original is kept), then approve and send it."""
    # Resolved: the edit signs the unsubscribe link with the salt and names the sender.
    resources = resources_from_env(resolve_secrets=True)
    with resources.app_store.session() as session:
        latest = drafts.latest_draft(session, partition_key)
        if latest is None:
            raise click.ClickException(f"{partition_key}: no draft")
        body = body_file.read() if body_file else click.edit(latest.body_text)
        if body is None and not subject:
            raise click.ClickException("nothing changed; not edited")
        # The text goes to the app DB, never into run config (I-6); the run approves it.
        edited = edit_draft(
            session,
            partition_key,
            ReviewRequest(
                ReviewAction.edit, reviewer, reason, new_subject=subject, new_body=body or ""
            ),
            resources.outreach,
            Sender(resources.gmail.sender_email, resources.gmail.sender_name),
        )
        version = edited.version
    _report(
        _launch(
            partition_key,
            action="edit",
            reviewer=reviewer,
            reason=reason,
            override_rules=list(overrides),
            draft_version=version,
        )
    )


@review.command()
@click.argument("partition_key")
@reviewer_option
@reason_option
def reject(partition_key: str, reviewer: str, reason: str) -> None:
    """Reject the lead: it is never sent by any later run."""
    _report(_launch(partition_key, action="reject", reviewer=reviewer, reason=reason))


@review.command()
@click.argument("partition_key")
@reviewer_option
@reason_option
def hold(partition_key: str, reviewer: str, reason: str) -> None:
    """Stop an approved email in its undo window (SALESAGENT_SEND_DELAY_SECONDS) before it
    goes to Gmail; it is back in `review list` until `review approve` or `edit` sends it,
    or `reject` ends it."""
    kind = "os_user" if reviewer == getpass.getuser() else "declared"
    with resources_from_env().app_store.session() as session:
        result = undo_window.hold(session, partition_key, reviewer, reason, kind)
    if not result.held:
        raise click.ClickException(f"{partition_key}: {result.explanation}")
    click.echo(f"{partition_key}: {result.explanation}")


@review.command("approve-all")
@reviewer_option
@reason_option
@click.option("--min-confidence", type=float, default=0.0, help="Only leads at or above this.")
@click.option("--without-failing-checks", is_flag=True, help="Only leads whose checks pass.")
@click.option("--dry-run", is_flag=True, help="List what would be approved.")
def approve_all(
    reviewer: str, reason: str, min_confidence: float, without_failing_checks: bool, dry_run: bool
) -> None:
    """Approve a filtered set of the queue in one go; each is still checked and gated."""
    chosen = [
        row
        for row in queue_rows(min_confidence)
        if not (without_failing_checks and row["failing_checks"])
    ]
    for row in chosen:
        if dry_run:
            click.echo(f"{row['partition_key']}: would approve")
            continue
        outcome = _launch(
            row["partition_key"],
            action="approve",
            reviewer=reviewer,
            reason=reason,
            draft_version=row["draft_version"],
        )
        click.echo(f"{row['partition_key']}: {_verdict(outcome)}")
    if not chosen:
        click.echo("nothing in the queue matches")


def _launch(partition_key: str, **config: Any) -> ReviewRun:
    from salesagent_dagster.definitions import build_definitions

    # The audit says the reviewer is this machine's login only when the name is that login.
    config["reviewer_kind"] = (
        "os_user" if config.get("reviewer") == getpass.getuser() else "declared"
    )
    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        return run_review(
            instance, build_definitions(), partition_key, config, run_config=QUIET_CONSOLE
        )


def _report(outcome: ReviewRun) -> None:
    click.echo(f"{_verdict(outcome)} (run {outcome.run_id})")
    for finding in outcome.metadata.get("findings") or []:
        click.echo(f"  - {finding}")
    if not outcome.approved and outcome.metadata.get("action") != "reject":
        raise SystemExit(1)


def _verdict(outcome: ReviewRun) -> str:
    if outcome.metadata.get("action") == "reject" and outcome.metadata.get("accepted"):
        return "rejected"
    return f"{'approved' if outcome.approved else 'refused'}: {outcome.explanation}"


def _failing_checks(session: Session, key: str, version: int, detail: bool = False) -> list[str]:
    failing: dict[str, list[str]] = {}
    for row in drafts.safety_results_for(session, key, version):
        if not row.passed:
            failing[row.check_name] = [
                f"{f['rule']}: {f['kind']} ({f['where']})" for f in row.findings
            ]
    if detail:
        return [f"{name}: {', '.join(found)}" for name, found in failing.items()]
    return sorted(failing)


def _preview(subject: str, body: str) -> str:
    text = " ".join(body.split())
    return f"{subject} | {text[:PREVIEW_CHARS]}"

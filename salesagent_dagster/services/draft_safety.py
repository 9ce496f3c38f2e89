"""A draft's safety results: evaluated once per run, stored with their reasons, read back.

The asset checks (and an operator's edit) evaluate the rules and store the results; the
send decision reads what they stored. Only the send-time gate evaluates again, on purpose
(DESIGN I-2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from salesagent_dagster.domain.mime_message import new_message_id
from salesagent_dagster.domain.safety.draft_review import CHECK_NAMES, SafetyReport
from salesagent_dagster.domain.safety.findings import Finding
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.mailboxes import lead_gmail
from salesagent_dagster.services.outgoing_email import (
    LeadEmail,
    outgoing_email_for,
    safety_report_for,
)
from salesagent_dagster.store import drafts


def check_draft(
    session: Session, lead_email: LeadEmail, outreach: OutreachSettings, mailbox: str
) -> SafetyReport:
    """Every safety rule over this email, stored against its draft version."""
    report = safety_report_for(session, lead_email, outreach, mailbox)
    drafts.save_safety_results(
        session,
        lead_email.lead.partition_key,
        lead_email.draft.version,
        {name: [_as_record(f) for f in report.by_check[name]] for name in CHECK_NAMES},
    )
    return report


def check_latest_draft(
    app_store: AppStoreResource, gmail: GmailResource, outreach: OutreachSettings, key: str
) -> tuple[int, SafetyReport] | None:
    """Evaluate and store the rules on the lead's latest draft, as the mailbox chosen for the
    lead would send it: the draft's version and the report; None when it has no draft."""
    rep_gmail = lead_gmail(app_store, gmail, key)
    sender = rep_gmail.sender_email
    with app_store.session() as session:
        lead_email = outgoing_email_for(
            session, key, outreach, sender, rep_gmail.sender_name, new_message_id(sender)
        )
        if lead_email is None:
            return None
        return lead_email.draft.version, check_draft(session, lead_email, outreach, sender)


@dataclass(frozen=True)
class CheckOutcome:
    """One safety check's result as the asset checks report it: the single-lead run's
    `draft_safety_checks` and the batch job build their check results from these."""

    name: str
    passed: bool
    hard: bool  # ERROR severity: a hard rule failed; otherwise WARN
    metadata: dict[str, Any]


def check_outcomes(draft_version: int, report: SafetyReport) -> list[CheckOutcome]:
    outcomes = []
    for name in CHECK_NAMES:
        findings = report.by_check[name]
        hard = any(f.hard for f in findings)
        outcomes.append(
            CheckOutcome(
                name=name,
                passed=not findings,
                hard=hard,
                metadata={
                    "draft_version": draft_version,
                    "findings": [f.describe() for f in findings],
                    "overridable": not hard,
                },
            )
        )
    return outcomes


def stored_safety_report(
    session: Session, partition_key: str, draft_version: int
) -> SafetyReport | None:
    """The latest stored results for this draft version, or None when none were stored."""
    latest: dict[str, list[dict[str, Any]]] = {}
    for row in drafts.safety_results_for(session, partition_key, draft_version):
        latest[row.check_name] = row.findings  # rows come oldest first: the last one wins
    if not latest:
        return None
    return SafetyReport(
        by_check={
            name: [Finding(f["rule"], f["kind"], f["where"]) for f in latest.get(name, [])]
            for name in CHECK_NAMES
        }
    )


def _as_record(finding: Finding) -> dict[str, object]:
    return {
        "rule": finding.rule,
        "kind": finding.kind,
        "where": finding.where,
        "hard": finding.hard,
    }

"""`lead` and `enrichment`: who wrote to us, and what we know about them.

Each asset is a thin wrapper over a stage function (`save_lead`, `enrich_lead`) that takes
the partition key and returns the materialization's metadata, or None when the lead stops
there: the per-lead assets and the batch job (`lead_batch.py`) run the same stages.
"""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, DagsterLogManager, MaterializeResult, asset

from salesagent_dagster.defs.failure_policy import (
    circuit_breakers_for,
    classified_failures,
    external_call_retry_policy,
)
from salesagent_dagster.defs.partitions import submissions_partitions
from salesagent_dagster.domain.email_address import parse_email_address
from salesagent_dagster.domain.icp import IcpInputs, score_icp
from salesagent_dagster.domain.lead_profile import build_lead_profile, qualify
from salesagent_dagster.resources.app_store import AppStoreResource
from salesagent_dagster.resources.gmail import GmailResource
from salesagent_dagster.resources.hubspot import CrmRecord, HubSpotResource
from salesagent_dagster.resources.outreach_settings import OutreachSettings
from salesagent_dagster.services.mailboxes import gmail_for, mailbox_for_owner, noting_revoked
from salesagent_dagster.store import inbox, known_good, leads, suppression
from salesagent_dagster.store.models import Enrichment, Lead

GROUP = "leads"


@asset(
    partitions_def=submissions_partitions,
    group_name=GROUP,
    kinds={"python"},
    description="The submission normalised and qualified; disqualified leads stop here.",
)
def lead(
    context: AssetExecutionContext, app_store: AppStoreResource, outreach: OutreachSettings
) -> MaterializeResult:
    return MaterializeResult(metadata=save_lead(context.partition_key, app_store, outreach))


def save_lead(key: str, app_store: AppStoreResource, outreach: OutreachSettings) -> dict[str, Any]:
    """Normalise and qualify the submission, store the lead; the `lead` metadata."""
    with app_store.session() as session:
        submission = inbox.get_submission(session, key)
        if submission is None:
            raise LookupError(f"no inbox row for partition {key}")
        values = _values_of(submission.payload)
        profile, email_problem = build_lead_profile(values)
        email = profile.email.address if profile.email else None
        email_hash = outreach.fingerprint(email) if email else None
        verdict = qualify(
            profile,
            email_problem,
            is_suppressed=bool(email_hash and suppression.is_suppressed(session, email_hash)),
            is_duplicate=bool(
                email_hash and leads.is_duplicate_submission(session, email_hash, key)
            ),
            competitor_domains=outreach.competitor_domain_set(),
        )
        leads.save_lead(
            session,
            Lead(
                partition_key=key,
                email=email,
                email_hash=email_hash,
                first_name=profile.first_name,
                last_name=profile.last_name,
                company=profile.company,
                job_title=profile.job_title,
                phone=profile.phone,
                website_domain=profile.website_domain,
                employees=profile.employees,
                country=profile.country,
                industry=profile.industry,
                message=profile.message,
                qualified=verdict.qualified,
                status_reason=verdict.reason,
                input_findings=leads.finding_records(profile.input_findings),
            ),
        )
    return {
        "qualified": verdict.qualified,
        "reason": verdict.reason,
        "free_mail": bool(profile.email and profile.email.is_free_mail),
        # Which fields looked like an attempt (I-11): field and kind, never what was typed.
        "suspicious_input": [f.describe() for f in profile.input_findings],
    }


def _values_of(payload: dict[str, object]) -> dict[str, str]:
    raw = payload.get("raw")
    values = raw.get("values", []) if isinstance(raw, dict) else []
    return {
        str(entry["name"]): "" if entry.get("value") is None else str(entry["value"])
        for entry in values
        if isinstance(entry, dict) and "name" in entry
    }


@asset(
    partitions_def=submissions_partitions,
    group_name=GROUP,
    deps=[lead],
    kinds={"hubspot", "gmail"},
    output_required=False,
    retry_policy=external_call_retry_policy,
    description="HubSpot contact and company, domain match, ICP score, replied-before (Gmail).",
)
def enrichment(
    context: AssetExecutionContext,
    app_store: AppStoreResource,
    hubspot: HubSpotResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> Iterator[MaterializeResult]:
    metadata = enrich_lead(context.partition_key, context.log, app_store, hubspot, gmail, outreach)
    if metadata is not None:
        yield MaterializeResult(metadata=metadata)


def enrich_lead(
    key: str,
    log: DagsterLogManager,
    app_store: AppStoreResource,
    hubspot: HubSpotResource,
    gmail: GmailResource,
    outreach: OutreachSettings,
) -> dict[str, Any] | None:
    """HubSpot, Gmail and ICP facts about a qualified lead, stored; the `enrichment`
    metadata, or None when the lead is not qualified (nothing downstream runs)."""
    with app_store.session() as session:
        row = leads.get_lead(session, key)
    if row is None or not row.qualified or not row.email:
        log.info("lead is not qualified; nothing to enrich")
        return None
    address = parse_email_address(row.email)
    with classified_failures(), circuit_breakers_for(app_store, "HubSpot", "Gmail"):
        contact = hubspot.find_contact_by_email(address.address) or hubspot.create_contact(
            _contact_properties(row)
        )
        company = hubspot.primary_company_of(contact.id)
        if company is None and not address.is_free_mail:
            company = hubspot.find_company_by_domain(address.domain)
        owner_id = contact.properties.get("hubspot_owner_id")
        owner_email = hubspot.owner_email(owner_id) if owner_id else None
        mailbox = mailbox_for_owner(app_store, gmail.sender_email, owner_email)
        rep_gmail = gmail_for(mailbox, gmail, app_store)
        with noting_revoked(app_store, mailbox):
            earlier = rep_gmail.latest_message_from(
                address.address, outreach.rule_settings().replied_within_days
            )
    company_domain = _company_domain(company, row.website_domain)
    domain_verified = bool(
        company_domain
        and not address.is_free_mail
        and (address.domain == company_domain or address.domain.endswith("." + company_domain))
    )
    employees = row.employees or _int_or_none(company, "numberofemployees")
    icp = score_icp(
        IcpInputs(
            employees=employees,
            job_title=row.job_title,
            is_free_mail=address.is_free_mail,
            domain_verified=domain_verified,
            country=row.country or _text(company, "country"),
            industry=row.industry or _text(company, "industry"),
        )
    )
    with app_store.session() as session:
        leads.save_enrichment(
            session,
            Enrichment(
                partition_key=key,
                hubspot_contact_id=contact.id,
                hubspot_company_id=company.id if company else None,
                hubspot_owner_id=owner_id,
                company_domain=company_domain,
                domain_verified=domain_verified,
                icp_score=icp.score,
                icp_bucket=icp.bucket,
                icp_factors=icp.factors,
                replied_before=earlier is not None,
                reply_thread_id=earlier.thread_id if earlier else None,
                reply_message_id=earlier.message_id if earlier else None,
                reply_subject=earlier.subject if earlier else None,
                reply_references=list(earlier.references) if earlier else [],
                known_good=outreach.is_known_good(address.address)
                or known_good.is_known_good_hash(session, outreach.fingerprint(address.address)),
                mailbox=mailbox,
            ),
        )
    return {
        "icp_score": icp.score,
        "icp_bucket": icp.bucket,
        "icp_factors": icp.factors,
        "domain_verified": domain_verified,
        "replied_before": earlier is not None,
        "hubspot_contact_id": contact.id,
        "mailbox_is_default": mailbox == gmail.sender_email,
    }


def _contact_properties(row: Lead) -> dict[str, str]:
    properties = {
        "email": row.email or "",
        "firstname": row.first_name,
        "lastname": row.last_name,
        "company": row.company,
        "jobtitle": row.job_title,
        "lifecyclestage": "lead",
    }
    return {name: value for name, value in properties.items() if value}


def _company_domain(company: CrmRecord | None, website_domain: str | None) -> str | None:
    domain = _text(company, "domain").lower().removeprefix("www.")
    return domain or website_domain


def _text(record: CrmRecord | None, name: str) -> str:
    return str((record.properties.get(name) if record else None) or "")


def _int_or_none(record: CrmRecord | None, name: str) -> int | None:
    text = _text(record, name)
    return int(text) if text.isdigit() else None

"""May this address receive mail from us at all?"""

from __future__ import annotations

from dataclasses import dataclass

from salesagent_dagster.domain.email_address import InvalidEmailAddress, parse_email_address
from salesagent_dagster.domain.safety.findings import Finding


@dataclass(frozen=True)
class RecipientPolicy:
    """Addresses and domains, lower-case. An empty allow list allows everyone not denied."""

    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    competitor_domains: frozenset[str] = frozenset()


def check_recipient(address: str, policy: RecipientPolicy, *, is_suppressed: bool) -> list[Finding]:
    try:
        parsed = parse_email_address(address)
    except InvalidEmailAddress as exc:
        return [Finding("invalid_recipient", exc.reason, "To")]
    normalised = parsed.address.lower()
    findings = []
    if is_suppressed:
        findings.append(Finding("suppression", "recipient unsubscribed or was erased", "To"))
    if normalised in policy.deny or parsed.domain in policy.deny:
        findings.append(Finding("denylist", "recipient or domain is on the deny list", "To"))
    if policy.allow and normalised not in policy.allow and parsed.domain not in policy.allow:
        findings.append(Finding("allowlist", "recipient is not on the allow list", "To"))
    if parsed.domain in policy.competitor_domains:
        findings.append(Finding("competitor", "recipient domain belongs to a competitor", "To"))
    if parsed.is_role_account:
        findings.append(Finding("role_account", "role address, not a person", "To"))
    return findings

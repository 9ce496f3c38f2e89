"""CAN-SPAM and RFC 8058: every email carries our postal address and a working opt-out."""

from __future__ import annotations

from email.message import EmailMessage

from salesagent_dagster.domain.safety.findings import Finding


def check_compliance_footer(body: str, postal_address: str, unsubscribe_url: str) -> list[Finding]:
    findings = []
    if not postal_address.strip() or postal_address not in body:
        findings.append(Finding("compliance", "postal address missing from the footer", "body"))
    if unsubscribe_url not in body:
        findings.append(Finding("compliance", "this contact's unsubscribe link is missing", "body"))
    return findings


def check_unsubscribe_headers(message: EmailMessage, unsubscribe_url: str) -> list[Finding]:
    findings = []
    list_unsubscribe = str(message.get("List-Unsubscribe", ""))
    if f"<{unsubscribe_url}>" not in list_unsubscribe or "<mailto:" not in list_unsubscribe:
        findings.append(
            Finding(
                "compliance", "List-Unsubscribe needs this contact's https and mailto", "headers"
            )
        )
    if str(message.get("List-Unsubscribe-Post", "")) != "List-Unsubscribe=One-Click":
        findings.append(Finding("compliance", "List-Unsubscribe-Post one-click missing", "headers"))
    return findings

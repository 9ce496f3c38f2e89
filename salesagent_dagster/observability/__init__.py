"""What leaves the process about its own health: logs, Sentry events, dead-letter reports.

Everything here is built so that PII cannot leave with it (DESIGN I-6): email addresses are
redacted from every log record, and Sentry events are scrubbed before they are sent.
"""

"""Everything that decides whether and how we write to a lead, in one settings object.

Built from environment variables in `settings.py`; the domain objects it hands out
(`rule_settings`, `send_limits`, ...) are what the pure logic consumes.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from dagster import ConfigurableResource, EnvVar

from salesagent_dagster.domain.approval_rules import RuleSettings
from salesagent_dagster.domain.draft_writer import SenderIdentity
from salesagent_dagster.domain.email_address import email_fingerprint
from salesagent_dagster.domain.experiments import ExperimentPolicy, load_experiments
from salesagent_dagster.domain.follow_up_plan import FollowUpPlan, load_follow_up_plan
from salesagent_dagster.domain.rule_config import load_learner_config, load_rule_settings
from salesagent_dagster.domain.safety.recipient import RecipientPolicy
from salesagent_dagster.domain.send_limits import SendLimits
from salesagent_dagster.domain.threshold_learner import effective_threshold
from salesagent_dagster.domain.unsubscribe_token import TokenCheck, check, sign
from salesagent_dagster.store.database import require_schema_at_head, session_scope
from salesagent_dagster.store.threshold_changes import latest_applied_threshold


def _as_set(csv: str) -> frozenset[str]:
    return frozenset(item.strip().lower() for item in csv.split(",") if item.strip())


class OutreachSettings(ConfigurableResource):
    allow_real_sends: bool = False
    kill_switch_forced: bool = False
    # After an unclear send, Gmail's "not found" counts only once this long has passed.
    reconcile_settle_seconds: float = 120.0
    # The undo window (SALESAGENT_SEND_DELAY_SECONDS): approved first emails wait this long.
    send_delay_seconds: float = 0.0
    rules_file: str = ""  # empty: the packaged policy/approval_rules.toml
    experiments_file: str = ""  # empty: the packaged policy/experiments.toml
    auto_approve_threshold: float | None = None  # overrides the file's when set
    shadow_mode: bool = False  # forces shadow mode on over the file's setting
    # The app DB, where the threshold learner's applied changes are (empty: none is read).
    app_database_url: str = ""
    per_contact_limit: int = 2
    per_contact_window_days: int = 7
    per_mailbox_daily_limit: int = 20
    per_mailbox_per_minute: float = 50.0
    postal_address: str
    unsubscribe_url: str
    booking_url: str
    hash_salt: str  # an EnvVar in the Definitions (settings.py): read it through `salt`
    allowlist: str = ""
    denylist: str = ""
    competitor_domains: str = ""
    known_good: str = ""
    # SALESAGENT_FOLLOW_UP_DAYS: calendar-day delays replacing the policy file's (None: the
    # file's business days; empty: no follow-ups).
    follow_up_days: list[float] | None = None
    # SALESAGENT_AUTO_REPLY_DELAY_DAYS: how long an out-of-office with no return date moves
    # the next follow-up.
    auto_reply_delay_days: int = 3

    def rule_settings(self, *, learned: bool = True) -> RuleSettings:
        """The rules file with the environment's overrides, and the threshold the rules
        engine uses (`effective_threshold`): AUTO_APPROVE_THRESHOLD if set, else the learned
        one while the learner applies, else the file's. Shadow mode and the kill switch are
        untouched by it: shadow sends every decision to review whatever the threshold, and
        the kill switch stops the send itself.

        `learned=False` reads the files only (checking them at load, with no app DB)."""
        settings = load_rule_settings(self.rules_file)
        learner = load_learner_config(self.rules_file)
        learned_threshold = None
        if (
            learned
            and learner.applies
            and self.auto_approve_threshold is None
            and self.app_database_url
        ):
            # One indexed query per decision, only while the learner is on and live; a
            # failure to read it fails the decision rather than fall back to a threshold
            # the learner may have raised for harm.
            require_schema_at_head(self.app_database_url)
            with session_scope(self.app_database_url) as session:
                learned_threshold = latest_applied_threshold(session)
        return replace(
            settings,
            auto_approve_threshold=effective_threshold(
                settings.auto_approve_threshold,
                self.auto_approve_threshold,
                learned_threshold,
                learner,
            ),
            shadow_mode=settings.shadow_mode or self.shadow_mode,
        )

    def follow_up_plan(self) -> FollowUpPlan:
        """The follow-up steps: policy/follow_ups.toml, with the env's delays if set."""
        plan = load_follow_up_plan()
        if self.follow_up_days is None:
            return plan
        return plan.with_calendar_days(self.follow_up_days, "SALESAGENT_FOLLOW_UP_DAYS")

    def experiments(self) -> ExperimentPolicy:
        """The A/B experiments: policy/experiments.toml, or SALESAGENT_EXPERIMENTS_FILE's."""
        return load_experiments(self.experiments_file)

    def send_limits(self) -> SendLimits:
        return SendLimits(
            per_contact=self.per_contact_limit,
            per_contact_window_days=self.per_contact_window_days,
            per_mailbox_per_day=self.per_mailbox_daily_limit,
            per_mailbox_per_minute=self.per_mailbox_per_minute,
        )

    def recipient_policy(self) -> RecipientPolicy:
        return RecipientPolicy(
            allow=_as_set(self.allowlist),
            deny=_as_set(self.denylist),
            competitor_domains=_as_set(self.competitor_domains),
        )

    def competitor_domain_set(self) -> frozenset[str]:
        return _as_set(self.competitor_domains)

    def is_known_good(self, address: str) -> bool:
        known = _as_set(self.known_good)
        return address.lower() in known or address.rsplit("@", 1)[-1].lower() in known

    @property
    def salt(self) -> str:
        """The salt every hash and signature uses, stripped as `settings.env` strips it, so a
        run (Dagster resolves the EnvVar raw) and the CLI (`resolve_secrets=True`) agree."""
        if isinstance(self.hash_salt, EnvVar):
            # Outside a run nothing resolves the EnvVar, and `.encode()` on it would quietly
            # give the variable's *name*: a wrong hash or signature, never an error.
            raise RuntimeError(
                f"hash_salt is still EnvVar({self.hash_salt.env_var_name!r}): outside a Dagster "
                "run, build the resources with resources_from_env(resolve_secrets=True)"
            )
        return self.hash_salt.strip()

    def fingerprint(self, address: str) -> str:
        return email_fingerprint(address, self.salt)

    def sender_identity(self, name: str, email: str) -> SenderIdentity:
        return SenderIdentity(
            name=name or email, email=email, postal_address=self.postal_address,
            booking_url=self.booking_url,
        )  # fmt: skip

    def unsubscribe_link(self, partition_key: str) -> str:
        """Per-contact opt-out: a signed token of the lead's opaque key, not the address."""
        query = urlencode({"lead": partition_key, "sig": sign(partition_key, self.salt)})
        separator = "&" if "?" in self.unsubscribe_url else "?"
        return f"{self.unsubscribe_url}{separator}{query}"

    def check_unsubscribe_signature(
        self, partition_key: str | None, signature: str | None
    ) -> TokenCheck:
        """Whether an opt-out link's `sig` is the one `unsubscribe_link` made for `lead`."""
        return check(partition_key, signature, self.salt)

    @staticmethod
    def unsubscribe_mailto(sender_email: str, partition_key: str) -> str:
        return f"mailto:{sender_email}?" + urlencode({"subject": f"unsubscribe {partition_key}"})

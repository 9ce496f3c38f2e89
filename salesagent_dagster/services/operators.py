"""Who may use the review desk: operators with roles, their passwords or OpenID identities,
sign-in with its brake on guessing, and the proof that a review came from a signed-in
operator.

Passwords are kept as argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended profile). Failed sign-ins are counted in the app DB, not in process memory, so
every edge process and a restart see the same count.

The brake is keyed so that it cannot be turned against the operator it protects. A hard
stop on an account alone (the desk's first version: five failures on a name, from anywhere,
refused even the right password for fifteen minutes) let anyone who knew a name lock that
operator out at will. Now, within fifteen minutes:

- five failures on one account *from one address* stop that address trying that account
  (even with the right password) until the window passes: a guesser is stopped, the real
  operator at their own address is not;
- twenty failures from one address stop it trying any account (a guesser moving across
  names);
- past ten failures on one account from all addresses together (guessing spread over many
  addresses), every further try on it first waits a short, growing delay, capped at a few
  seconds, and is then checked as usual: it slows a distributed guesser down without ever
  refusing the operator whose password it is.

An operator added with an OpenID email (services/oidc_client.py signs them in) has no
password: a password sign-in as them always fails, at the same cost as a wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from salesagent_dagster.services.oidc_client import VerifiedIdentity
from salesagent_dagster.store import operators as store
from salesagent_dagster.store.models import utc_now

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
MAX_FAILURES_PER_ADDRESS = 20
# Failures on one account from all addresses past which each try waits (never refused).
SLOW_AFTER_ACCOUNT_FAILURES = 10
SLOW_DOWN_STEP_SECONDS = 0.5
SLOW_DOWN_MAX_SECONDS = 3.0
NO_PASSWORD = ""  # the hash column of an operator who signs in only through the provider
MIN_PASSWORD_LENGTH = 12
# A review run must start within this of the click that proved who asked for it.
IDENTITY_PROOF_MAX_AGE_SECONDS = 600

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so "no such operator" costs as long
    as "wrong password" and the answer time does not tell which names exist."""
    return _hasher.hash("not a password anyone has")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class Role(StrEnum):
    viewer = "viewer"
    reviewer = "reviewer"
    admin = "admin"


_RANK = {Role.viewer: 0, Role.reviewer: 1, Role.admin: 2}


def role_allows(role: str, needed: Role) -> bool:
    """viewer < reviewer < admin: each may do what the one before it may."""
    try:
        return _RANK[Role(role)] >= _RANK[needed]
    except ValueError:
        return False


class OperatorError(ValueError):
    """An operator could not be saved as asked; the message says what to change."""


def _checked(name: str, role: str) -> str:
    name = name.strip()
    if not name or len(name) > 120 or any(c.isspace() for c in name):
        raise OperatorError("a name is 1-120 characters without spaces")
    if role not in Role.__members__:
        raise OperatorError(f"role must be one of {', '.join(Role.__members__)}")
    return name


def add_operator(session: Session, name: str, role: str, password: str, *, actor: str) -> None:
    name = _checked(name, role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperatorError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    store.save_operator(session, name, role, hash_password(password), actor=actor)


def add_oidc_operator(session: Session, name: str, role: str, email: str, *, actor: str) -> None:
    """NAME signs in through the OpenID provider as EMAIL, and with no password (one they
    had before is dropped): the provider is where they prove who they are."""
    name = _checked(name, role)
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise OperatorError(f"--oidc-email: {exc}") from None
    holder = store.identity_by_email(session, email)
    if holder is not None and holder.operator != name:
        raise OperatorError(f"{email} already signs in as operator {holder.operator}")
    store.save_operator(session, name, role, NO_PASSWORD, actor=actor)
    store.save_identity(session, name, email, actor=actor)


@dataclass(frozen=True)
class SignIn:
    operator: str | None  # the name when signed in
    role: str = ""
    retry_after_seconds: int = 0  # > 0: refused without checking, too many failures
    refused: str = ""  # why a provider's identity may not sign in, for the operator to read

    @property
    def ok(self) -> bool:
        return self.operator is not None


def sign_in_delay_seconds(session: Session, name: str) -> float:
    """How long a password try on `name` waits before it is checked: nothing until the
    account has failed often from all addresses together, then a little longer with each
    failure, up to SLOW_DOWN_MAX_SECONDS."""
    failures = store.failed_sign_ins(session, utc_now() - FAILURE_WINDOW, account=name)
    over = failures - SLOW_AFTER_ACCOUNT_FAILURES + 1
    return 0.0 if over <= 0 else min(SLOW_DOWN_MAX_SECONDS, over * SLOW_DOWN_STEP_SECONDS)


def sign_in(session: Session, name: str, password: str, address: str) -> SignIn:
    """Check a password, unless this address has failed too often lately, on this account
    or on any (the module's docstring says why the account alone never refuses)."""
    since = utc_now() - FAILURE_WINDOW
    if (
        store.failed_sign_ins(session, since, account=name, address=address)
        >= MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS
        or store.failed_sign_ins(session, since, address=address) >= MAX_FAILURES_PER_ADDRESS
    ):
        return SignIn(None, retry_after_seconds=int(FAILURE_WINDOW.total_seconds()))
    operator = store.get_operator(session, name)
    has_password = operator is not None and operator.password_hash != NO_PASSWORD
    try:
        _hasher.verify(operator.password_hash if operator and has_password else _dummy_hash(),
                       password)  # fmt: skip
        verified = has_password and operator is not None and not operator.disabled
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified or operator is None:
        store.record_failed_sign_in(session, name, address, forget_before=since)
        return SignIn(None)
    store.forget_failed_sign_ins(session, name, address)
    store.record_sign_in(session, operator.name, "password")
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = _hasher.hash(password)
    return SignIn(operator.name, operator.role)


NOT_AN_OPERATOR = "That account may not use the review desk; an admin can add it."


def oidc_sign_in(session: Session, identity: VerifiedIdentity, allowed_domain: str) -> SignIn:
    """The operator a verified provider identity signs in as, if any; roles stay ours.

    Only a verified email counts (anyone can put an unverified address on an account), only
    of the allowed domain when one is set. Where the provider says Workspace membership with
    `hd` (Google), `hd` must be that domain too: a Google account can carry a company
    address without being in the company's Workspace, and only `hd` says it is. The operator
    is found by the provider's subject once bound, else by the email an admin added, which
    then binds that subject: an address later given to another account at the provider
    does not sign in as them."""
    if not identity.email_verified:
        return SignIn(None, refused="The provider has not verified that account's email.")
    domain = allowed_domain.strip().lower()
    if domain:
        hd_needed = identity.provider_sends_hd or bool(identity.hosted_domain)
        if identity.email.rsplit("@", 1)[-1] != domain or (
            hd_needed and identity.hosted_domain != domain
        ):
            return SignIn(None, refused=f"Only {domain} accounts may use the review desk.")
    found = store.identity_by_subject(session, identity.issuer, identity.subject)
    if found is None:
        found = store.identity_by_email(session, identity.email)
        if found is None or found.subject is not None:
            return SignIn(None, refused=NOT_AN_OPERATOR)  # none, or bound to another account
    operator = store.get_operator(session, found.operator)
    if operator is None or operator.disabled:
        return SignIn(None, refused=NOT_AN_OPERATOR)
    if found.subject is None:
        store.bind_identity(session, found, identity.issuer, identity.subject)
    store.record_sign_in(session, operator.name, "oidc", issuer=identity.issuer,
                         provider_subject=identity.subject)  # fmt: skip
    return SignIn(operator.name, operator.role)


def active_role(session: Session, name: str) -> str | None:
    """The operator's role now (a session outlives nothing: a disabled or removed operator
    is signed out at their next request, a changed role applies at once)."""
    operator = store.get_operator(session, name)
    if operator is None or operator.disabled:
        return None
    return operator.role


def _proof_serializer(session: Session) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(store.desk_secret(session), salt="salesagent.review-identity")


def identity_proof(session: Session, reviewer: str, partition_key: str) -> str:
    """Signed by the desk for one lead: the review run records `reviewer` as signed in only
    with it, so a name typed into the Launchpad can never pass for a signed-in one."""
    return _proof_serializer(session).dumps({"reviewer": reviewer, "lead": partition_key})


def proves_identity(session: Session, proof: str, reviewer: str, partition_key: str) -> bool:
    if not proof:
        return False
    try:
        claim = _proof_serializer(session).loads(proof, max_age=IDENTITY_PROOF_MAX_AGE_SECONDS)
    except BadSignature:
        return False
    return claim == {"reviewer": reviewer, "lead": partition_key}


def shown_reviewer_kind(
    session: Session, partition_key: str, reviewer: str, claimed_kind: str, proof: str
) -> str:
    """`claimed_kind` as far as it can be shown: `signed_in` only with the desk's proof for
    this reviewer and lead, `os_user` as the CLI says, anything else `declared`."""
    if claimed_kind == "signed_in":
        proven = proves_identity(session, proof, reviewer, partition_key)
        return "signed_in" if proven else "declared"
    return "os_user" if claimed_kind == "os_user" else "declared"

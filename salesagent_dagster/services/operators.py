"""Who may use the review desk: operators with roles, their passwords, sign-in with its
brake on guessing, and the proof that a review came from a signed-in operator.

Passwords are kept as argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended profile). Failed sign-ins are counted in the app DB, not in process memory, so
every edge process and a restart see the same count: five failures per account, or twenty
per address, in fifteen minutes stop further tries (even a right password) until the window
passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from salesagent_dagster.store import operators as store
from salesagent_dagster.store.models import utc_now

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
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


def add_operator(session: Session, name: str, role: str, password: str, *, actor: str) -> None:
    name = name.strip()
    if not name or len(name) > 120 or any(c.isspace() for c in name):
        raise OperatorError("a name is 1-120 characters without spaces")
    if role not in Role.__members__:
        raise OperatorError(f"role must be one of {', '.join(Role.__members__)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperatorError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    store.save_operator(session, name, role, hash_password(password), actor=actor)


@dataclass(frozen=True)
class SignIn:
    operator: str | None  # the name when signed in
    role: str = ""
    retry_after_seconds: int = 0  # > 0: refused without checking, too many failures

    @property
    def ok(self) -> bool:
        return self.operator is not None


def sign_in(session: Session, name: str, password: str, address: str) -> SignIn:
    """Check a password, unless this account or address has failed too often lately."""
    since = utc_now() - FAILURE_WINDOW
    if (
        store.failed_sign_ins(session, since, account=name) >= MAX_FAILURES_PER_ACCOUNT
        or store.failed_sign_ins(session, since, address=address) >= MAX_FAILURES_PER_ADDRESS
    ):
        return SignIn(None, retry_after_seconds=int(FAILURE_WINDOW.total_seconds()))
    operator = store.get_operator(session, name)
    try:
        _hasher.verify(operator.password_hash if operator else _dummy_hash(), password)
        verified = operator is not None and not operator.disabled
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified or operator is None:
        store.record_failed_sign_in(session, name, address, forget_before=since)
        return SignIn(None)
    store.forget_failed_sign_ins(session, name)
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = _hasher.hash(password)
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

"""The review desk's operators, their OpenID identities, failed sign-ins and signing key (SQL
only; the rules that use them are services/operators.py's and services/oidc_sign_in.py's)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from salesagent_dagster.store.audit import record
from salesagent_dagster.store.models import (
    DeskKey,
    Operator,
    OperatorIdentity,
    SignInAttempt,
    utc_now,
)

DESK_KEY = "desk"


def get_operator(session: Session, name: str) -> Operator | None:
    return session.get(Operator, name)


def all_operators(session: Session) -> Sequence[Operator]:
    return session.scalars(select(Operator).order_by(Operator.name)).all()


def save_operator(
    session: Session, name: str, role: str, password_hash: str, *, actor: str
) -> Operator:
    """Add the operator, or replace an existing one's role and password (re-enabled)."""
    operator = session.get(Operator, name)
    if operator is None:
        operator = Operator(name=name, role=role, password_hash=password_hash, disabled=False)
        session.add(operator)
    else:
        operator.role, operator.password_hash, operator.disabled = role, password_hash, False
    record(session, actor=actor, action="operator_saved", subject=name, details={"role": role})
    return operator


def disable_operator(session: Session, name: str, *, actor: str) -> bool:
    operator = session.get(Operator, name)
    if operator is None:
        return False
    operator.disabled = True
    record(session, actor=actor, action="operator_disabled", subject=name)
    return True


def record_failed_sign_in(
    session: Session, account: str, address: str, *, forget_before: datetime
) -> None:
    """Rows older than `forget_before` count for nothing any more and are dropped here, so
    the table stays as small as the window."""
    session.execute(delete(SignInAttempt).where(SignInAttempt.at < forget_before))
    session.add(SignInAttempt(account=account[:120], address=address[:64]))


def failed_sign_ins(
    session: Session, since: datetime, *, account: str = "", address: str = ""
) -> int:
    query = select(func.count()).select_from(SignInAttempt).where(SignInAttempt.at >= since)
    if account:
        query = query.where(SignInAttempt.account == account[:120])
    if address:
        query = query.where(SignInAttempt.address == address[:64])
    return int(session.scalar(query) or 0)


def forget_failed_sign_ins(session: Session, account: str, address: str) -> None:
    """A correct password clears this account's count from this address only: the
    failures others made on the account from elsewhere still count against them."""
    session.execute(
        delete(SignInAttempt).where(
            SignInAttempt.account == account[:120], SignInAttempt.address == address[:64]
        )
    )


def record_sign_in(session: Session, operator: str, method: str, **details: str) -> None:
    """Who signed in and how (a password, or the provider's subject): the audit's link from
    a reviewer's name to the identity that proved it."""
    record(session, actor=operator, action="operator_signed_in", subject=operator,
           details={"method": method, **details})  # fmt: skip


def identity_of(session: Session, operator: str) -> OperatorIdentity | None:
    return session.scalar(select(OperatorIdentity).where(OperatorIdentity.operator == operator))


def identity_by_email(session: Session, email: str) -> OperatorIdentity | None:
    return session.scalar(
        select(OperatorIdentity).where(OperatorIdentity.email == email.strip().lower())
    )


def identity_by_subject(session: Session, issuer: str, subject: str) -> OperatorIdentity | None:
    return session.scalar(
        select(OperatorIdentity).where(
            OperatorIdentity.issuer == issuer, OperatorIdentity.subject == subject
        )
    )


def save_identity(session: Session, operator: str, email: str, *, actor: str) -> OperatorIdentity:
    """Let `operator` sign in as `email` at the OpenID provider. Any provider account bound
    before is forgotten: the next sign-in with that email binds its own (so an admin moves
    an operator to a new account by adding them again)."""
    email = email.strip().lower()
    identity = identity_of(session, operator)
    if identity is None:
        identity = OperatorIdentity(operator=operator, email=email)
        session.add(identity)
    identity.email, identity.issuer, identity.subject, identity.bound_at = email, None, None, None
    record(session, actor=actor, action="operator_identity_saved", subject=operator)
    return identity


def bind_identity(session: Session, identity: OperatorIdentity, issuer: str, subject: str) -> None:
    identity.issuer, identity.subject, identity.bound_at = issuer, subject, utc_now()
    record(
        session, actor=identity.operator, action="operator_identity_bound",
        subject=identity.operator, details={"issuer": issuer, "provider_subject": subject},
    )  # fmt: skip


def desk_secret(session: Session) -> str:
    """The desk's signing key; the first process to ask makes it (a racing second one reads
    the winner's)."""
    key = session.get(DeskKey, DESK_KEY)
    if key is not None:
        return key.secret
    try:
        with session.begin_nested():
            session.add(DeskKey(name=DESK_KEY, secret=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass
    found = session.get(DeskKey, DESK_KEY, populate_existing=True)
    assert found is not None
    return found.secret

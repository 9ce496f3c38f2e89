"""Run-time switches operators flip, recorded with who and why."""

from __future__ import annotations

from sqlalchemy.orm import Session

from salesagent_dagster.store.audit import record
from salesagent_dagster.store.models import Control

KILL_SWITCH = "kill_switch"


def get_control(session: Session, name: str) -> Control | None:
    return session.get(Control, name)


def is_enabled(session: Session, name: str, *, fresh: bool = False) -> bool:
    """`fresh` re-reads the row even if this session has seen it (under a lock)."""
    control = session.get(Control, name, populate_existing=fresh)
    return bool(control and control.enabled)


def set_control(session: Session, name: str, enabled: bool, *, actor: str, reason: str) -> None:
    control = session.get(Control, name)
    if control is None:
        session.add(Control(name=name, enabled=enabled, reason=reason, updated_by=actor))
    else:
        control.enabled, control.reason, control.updated_by = enabled, reason, actor
    record(
        session,
        actor=actor,
        action=f"{name}_{'on' if enabled else 'off'}",
        subject=name,
        details={"reason": reason},
    )


def kill_switch_on(session: Session, *, forced: bool, fresh: bool = False) -> bool:
    """Sends are stopped: by the env override (SALESAGENT_KILL_SWITCH) or an operator."""
    return forced or is_enabled(session, KILL_SWITCH, fresh=fresh)

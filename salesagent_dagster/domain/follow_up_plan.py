"""The follow-up sequence: which steps follow the first email, and when each one is due.

Read from `policy/follow_ups.toml` (delays in business days, one template per step) and
validated at load: a typo stops the code location with the file and the key named, as the
approval rules do. `SALESAGENT_FOLLOW_UP_DAYS` replaces the file's delays with calendar
days (fractions allowed); the templates stay the file's.

Business days skip Saturdays, Sundays and the file's `holidays` (numpy's `busday_offset`
with `roll="forward"`, counted here in plain Python: every lead's run plans its follow-ups,
and numpy's import alone cost it ~0.2 CPU-s); the step keeps the time of day of the email
it follows, in UTC.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from string import Template
from typing import Any

DEFAULT_FOLLOW_UPS_PATH = Path(__file__).resolve().parents[1] / "policy" / "follow_ups.toml"

# What a template may say about the lead and the rep: names cleaned to what a name can be,
# the booking link, and the rep's own voice. Nothing the submitter typed freely (I-11).
PLACEHOLDERS = frozenset(
    {
        "greeting_line",  # "Hi Ana," in the rep's greeting, or "Hello," without a clean name
        "about",  # " for Acme" or "" (the company, cleaned)
        "booking_url",
        "sign_off",
        "sender_name",
        # The rep's contractions, or not: "I'd" / "I would", ...
        "i_would",
        "i_am",
        "i_have",
        "i_will",
        "we_are",
        "it_is",
    }
)
_MAX_STEPS = 10
_MAX_DELAY_DAYS = 365


class FollowUpConfigError(ValueError):
    """The follow-up policy cannot be used; the message says which file or variable, and why."""


@dataclass(frozen=True)
class StepDelay:
    """How long after the previous email a step is due: whole business days, or calendar
    days (fractions allowed: `0.0001` is due at once)."""

    business_days: int | None = None
    calendar_days: float | None = None

    def due_after(self, previous: datetime, holidays: Sequence[date] = ()) -> datetime:
        previous = previous.astimezone(UTC)
        if self.calendar_days is not None:
            return previous + timedelta(days=self.calendar_days)
        days = self.business_days or 0
        # A weekend or holiday email counts from the next business day, as a person would.
        landed_on = business_day_offset(previous.date(), days, frozenset(holidays))
        return datetime.combine(landed_on, previous.timetz())

    def describe(self) -> str:
        if self.calendar_days is not None:
            return f"{self.calendar_days:g} days"
        return f"{self.business_days} business days"


@dataclass(frozen=True)
class FollowUpStep:
    number: int  # 1 = the first follow-up (0 is the first email)
    delay: StepDelay
    body: str  # a string.Template over PLACEHOLDERS
    brief_body: str  # for reps who write short sentences; the body when the file has none


@dataclass(frozen=True)
class FollowUpPlan:
    steps: tuple[FollowUpStep, ...] = ()
    holidays: tuple[date, ...] = ()

    def step(self, number: int) -> FollowUpStep | None:
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None

    def due_at(self, number: int, previous_sent_at: datetime) -> datetime | None:
        """When step `number` is due, given when the email before it went; None past the end."""
        step = self.step(number)
        return step.delay.due_after(previous_sent_at, self.holidays) if step else None

    def with_calendar_days(self, days: Sequence[float], variable: str) -> FollowUpPlan:
        """The file's templates on `days` (calendar time): one step per delay, none if empty."""
        if len(days) > len(self.steps):
            raise FollowUpConfigError(
                f"{variable} lists {len(days)} follow-up steps but the policy file has "
                f"templates for {len(self.steps)}; add [[steps]] to the file or list fewer"
            )
        return replace(
            self,
            steps=tuple(
                replace(step, delay=StepDelay(calendar_days=delay))
                for step, delay in zip(self.steps, days, strict=False)
            ),
        )


def parse_day_list(text: str) -> tuple[float, ...]:
    """'2, 3.5' -> (2.0, 3.5); '' -> () (no follow-ups). Each delay > 0 and at most a year;
    the error says what is wrong, the caller names the variable."""
    if not text.strip():
        return ()
    delays: list[float] = []
    for item in text.split(","):
        try:
            delay = float(item.strip())
        except ValueError:
            raise FollowUpConfigError(
                f"must be comma-separated numbers of days, such as 3,5 (got {item.strip()!r})"
            ) from None
        if not 0 < delay <= _MAX_DELAY_DAYS:
            raise FollowUpConfigError(
                f"each delay must be more than 0 and at most {_MAX_DELAY_DAYS} days (got {delay:g})"
            )
        delays.append(delay)
    if len(delays) > _MAX_STEPS:
        raise FollowUpConfigError(f"at most {_MAX_STEPS} follow-up steps")
    return tuple(delays)


def load_follow_up_plan(path: Path | str = "") -> FollowUpPlan:
    resolved = Path(path) if path else DEFAULT_FOLLOW_UPS_PATH
    try:
        stamp = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise FollowUpConfigError(f"cannot read follow-up policy {resolved}: {exc}") from exc
    return _load(resolved, stamp)


@functools.lru_cache(maxsize=8)
def _load(path: Path, stamp: int) -> FollowUpPlan:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FollowUpConfigError(f"cannot read follow-up policy {path}: {exc}") from exc
    unknown = sorted(set(data) - {"holidays", "steps"})
    if unknown:
        raise FollowUpConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; expected holidays, [[steps]]"
        )
    holidays = data.get("holidays", [])
    if not isinstance(holidays, list) or not all(
        isinstance(day, date) and not isinstance(day, datetime) for day in holidays
    ):
        raise FollowUpConfigError(f"{path}: holidays must be a list of dates (2026-12-25)")
    steps = data.get("steps", [])
    if not isinstance(steps, list) or len(steps) > _MAX_STEPS:
        raise FollowUpConfigError(f"{path}: steps must be at most {_MAX_STEPS} [[steps]] tables")
    return FollowUpPlan(
        steps=tuple(_step(path, number, table) for number, table in enumerate(steps, start=1)),
        holidays=tuple(holidays),
    )


def _step(path: Path, number: int, table: Any) -> FollowUpStep:
    where = f"{path}: [[steps]] #{number}"
    if not isinstance(table, dict):
        raise FollowUpConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - {"delay_business_days", "body", "brief_body"})
    if unknown:
        raise FollowUpConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; "
            "expected delay_business_days, body, brief_body"
        )
    delay = table.get("delay_business_days")
    if isinstance(delay, bool) or not isinstance(delay, int) or not 1 <= delay <= 60:
        raise FollowUpConfigError(
            f"{where}: delay_business_days must be a whole number from 1 to 60, got {delay!r}"
        )
    body = table.get("body")
    if not isinstance(body, str) or not body.strip():
        raise FollowUpConfigError(f"{where}: body must be the step's text")
    brief = table.get("brief_body", body)
    if not isinstance(brief, str) or not brief.strip():
        raise FollowUpConfigError(f"{where}: brief_body must be text when given")
    for name, text in (("body", body), ("brief_body", brief)):
        _check_template(where, name, text)
    return FollowUpStep(number, StepDelay(business_days=delay), body.strip(), brief.strip())


def _check_template(where: str, name: str, text: str) -> None:
    template = Template(text)
    if not template.is_valid():
        raise FollowUpConfigError(f"{where}: {name} has a stray '$' (write $$ for a dollar sign)")
    unknown = sorted(set(template.get_identifiers()) - PLACEHOLDERS)
    if unknown:
        raise FollowUpConfigError(
            f"{where}: {name} uses unknown placeholder(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(PLACEHOLDERS))}"
        )


def business_day_offset(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """`days` business days after `start`, a weekend or holiday `start` counting from the
    next business day: numpy's `busday_offset(start, days, roll="forward")`, Monday to
    Friday, without numpy."""

    def is_business_day(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    day = start
    while not is_business_day(day):
        day += timedelta(days=1)
    step = timedelta(days=1 if days >= 0 else -1)
    for _ in range(abs(days)):
        day += step
        while not is_business_day(day):
            day += step
    return day

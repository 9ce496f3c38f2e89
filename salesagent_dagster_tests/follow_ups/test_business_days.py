"""The follow-up plan's business days agree with numpy's `busday_offset(roll="forward")`,
which they replaced to keep numpy out of a lead's run worker."""

from datetime import date, timedelta

import numpy as np

from salesagent_dagster.domain.follow_up_plan import business_day_offset

HOLIDAYS = (date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1), date(2026, 12, 26))


def numpy_offset(start: date, days: int, holidays: tuple[date, ...]) -> date:
    landed = np.busday_offset(
        np.datetime64(start, "D"),
        days,
        roll="forward",
        holidays=[np.datetime64(day, "D") for day in holidays],
    )
    day = landed.item()
    assert isinstance(day, date)
    return day


def test_every_start_and_delay_of_a_holiday_season_lands_where_numpy_lands() -> None:
    for offset in range(28):
        start = date(2026, 12, 14) + timedelta(days=offset)
        for days in (-3, -1, 0, 1, 2, 3, 5, 10):
            for holidays in ((), HOLIDAYS):
                assert business_day_offset(start, days, holidays) == numpy_offset(
                    start, days, holidays
                ), (start, days, holidays)


def test_a_friday_email_plus_one_business_day_is_monday() -> None:
    assert business_day_offset(date(2026, 11, 27), 1) == date(2026, 11, 30)

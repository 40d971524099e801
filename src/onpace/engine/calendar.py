"""The backend half of the calendar: a date expression truncated to the start of its period.

The rules are those of :mod:`onpace.calendar` (the Python half, which lays out
the time spine and the as-of dates); here they are ibis expressions that put
each row in its period on every backend. Property tests keep the two in
agreement.
"""

from __future__ import annotations

from typing import Any

import ibis

from onpace.calendar import UNIT_DAYS, UNIT_MONTHS, WEEKDAYS, CalendarRules, Grain, fiscal_shift

_TRUNC = {Grain.day: "D", Grain.week: "W", Grain.month: "M", Grain.quarter: "Q", Grain.year: "Y"}


def truncate(col: Any, grain: Grain, cal: CalendarRules, dialect: str = "duckdb") -> Any:
    """Backend expression for the start of the period of the date expression ``col``."""
    if grain == Grain.day:
        return col
    if grain == Grain.week:
        start = WEEKDAYS.index(cal.week_start)
        if dialect == "mysql":  # ibis cannot truncate to weeks on MySQL: step back to the week start
            back = (col.day_of_week.index() + (7 - start)) % 7
            return (col - back.as_interval("D")).cast("date")
        if start == 0:
            return col.truncate("W")
        # move the date so the configured week start lands on a Monday, truncate, move back
        ahead = (7 - start) % 7
        return ((col + ibis.interval(days=ahead)).truncate("W") - ibis.interval(days=ahead)).cast("date")
    if grain in (Grain.fiscal_quarter, Grain.fiscal_year):
        shift = fiscal_shift(cal)
        base = Grain.quarter if grain == Grain.fiscal_quarter else Grain.year
        if shift == 0:
            return col.truncate(_TRUNC[base])
        moved = (col - ibis.interval(months=shift)).cast("date").truncate(_TRUNC[base])
        return (moved + ibis.interval(months=shift)).cast("date")
    return col.truncate(_TRUNC[grain])


def interval(count: int, unit: str) -> Any:
    """``count`` calendar units (day, week, month, quarter, year) as an interval every backend takes."""
    if unit in UNIT_DAYS:
        return ibis.interval(days=count * UNIT_DAYS[unit])
    if unit == "year":
        return ibis.interval(years=count)
    return ibis.interval(months=count * UNIT_MONTHS[unit])

"""Periods of the calendar: grains, week start, fiscal years.

The same rules exist twice, on purpose: in Python (to lay out the time spine
and the as-of dates) and as backend expressions (to put each row in its
period). Property tests keep the two in agreement.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from collections.abc import Iterator
from typing import Any

import ibis

from onpace.catalog.models import WEEKDAYS, Calendar, Grain
from onpace.catalog.periods import DATE_RANGE
from onpace.errors import UserError

_RANGE_HINT = f"onpace works with {DATE_RANGE}"
_MONTHS = {Grain.month: 1, Grain.quarter: 3, Grain.year: 12, Grain.fiscal_quarter: 3, Grain.fiscal_year: 12}


def _add_months(d: dt.date, months: int) -> dt.date:
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise UserError(f"{d.isoformat()} moved by {months} months is not a date; {_RANGE_HINT}")
    # clamp the day to the end of the month (Jan 31 + 1 month = Feb 28/29)
    return dt.date(year, month, min(d.day, monthrange(year, month)[1]))


def _add_days(d: dt.date, days: int) -> dt.date:
    try:
        return d + dt.timedelta(days=days)
    except OverflowError:
        raise UserError(f"{d.isoformat()} moved by {days} days is not a date; {_RANGE_HINT}") from None


def fiscal_shift(cal: Calendar) -> int:
    """Months from the calendar year start to the fiscal year start (0 for January)."""
    return cal.fiscal_year_start - 1


def period_start(d: dt.date, grain: Grain, cal: Calendar) -> dt.date:
    """First day of the period of ``grain`` that contains ``d``."""
    if grain == Grain.day:
        return d
    if grain == Grain.week:
        start = WEEKDAYS.index(cal.week_start)
        return _add_days(d, -((d.weekday() - start) % 7))
    if grain == Grain.month:
        return d.replace(day=1)
    if grain == Grain.quarter:
        return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    if grain == Grain.year:
        return dt.date(d.year, 1, 1)
    shift = fiscal_shift(cal)
    moved = _add_months(d.replace(day=1), -shift)
    base = period_start(moved, Grain.quarter if grain == Grain.fiscal_quarter else Grain.year, cal)
    return _add_months(base, shift)


def shift_period(p: dt.date, n: int, grain: Grain) -> dt.date:
    """The start of the period ``n`` periods after the one starting on ``p`` (n may be negative)."""
    if grain == Grain.day:
        return _add_days(p, n)
    if grain == Grain.week:
        return _add_days(p, 7 * n)
    return _add_months(p, _MONTHS[grain] * n)


def shift_date(d: dt.date, n: int, unit: str) -> dt.date:
    """``d`` moved by ``n`` calendar units (day, week, month, quarter, year)."""
    if unit == "day":
        return _add_days(d, n)
    if unit == "week":
        return _add_days(d, 7 * n)
    return _add_months(d, {"month": 1, "quarter": 3, "year": 12}[unit] * n)


def period_end(p: dt.date, grain: Grain) -> dt.date:
    """Last day of the period starting on ``p``."""
    return _add_days(shift_period(p, 1, grain), -1)


def periods(first: dt.date, last: dt.date, grain: Grain, cal: Calendar) -> Iterator[dt.date]:
    """Starts of every period from the one containing ``first`` to the one containing ``last``."""
    p = period_start(first, grain, cal)
    while p <= last:
        yield p
        p = shift_period(p, 1, grain)


def first_period_on_or_after(d: dt.date, grain: Grain, cal: Calendar) -> dt.date:
    p = period_start(d, grain, cal)
    return p if p >= d else shift_period(p, 1, grain)


# -- backend expressions ----------------------------------------------------

_TRUNC = {Grain.day: "D", Grain.week: "W", Grain.month: "M", Grain.quarter: "Q", Grain.year: "Y"}


def truncate(col: Any, grain: Grain, cal: Calendar, dialect: str = "duckdb") -> Any:
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

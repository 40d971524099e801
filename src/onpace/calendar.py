"""The calendar: every rule of period arithmetic, in one place.

Grains, week starts, fiscal years, the names of periods (1998-Q3, FY1999),
the dates onpace supports, and the days of a period. The catalog, the engine,
the KPI layer and the services all use these functions; the engine adds only
the backend half (:func:`onpace.engine.calendar.truncate`, the same rule as an
ibis expression; property tests keep the two in agreement).

It sits at the bottom of the package (it imports only :mod:`onpace.errors`):
a calendar is anything with a ``week_start``, a ``fiscal_year_start`` and a
``fiscal_year_named_by`` (:class:`CalendarRules`), such as the project's
``calendar:`` settings (:class:`onpace.catalog.models.Calendar`).

Fiscal years are named by the calendar year they start in by default (FY1998
with an April start runs from 1998-04-01 to 1999-03-31), or by the year they
end in (``calendar.fiscal_year_named_by: end``, as US companies do). With a
January start the two agree.

Days of a period are counted inclusively: a period from July 1 to September 30
has 92 days, and as of its first day one day has elapsed (the as-of date's own
data counts). Before the start nothing has elapsed; on or after the end all of it.
"""

from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange
from collections.abc import Iterator
from enum import StrEnum
from typing import Protocol

from onpace.errors import UserError


class Grain(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"
    fiscal_quarter = "fiscal_quarter"
    fiscal_year = "fiscal_year"


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CalendarRules(Protocol):
    """What the arithmetic needs of a calendar: its week start and its fiscal year."""

    @property
    def week_start(self) -> str: ...

    @property
    def fiscal_year_start(self) -> int: ...

    @property
    def fiscal_year_named_by(self) -> str: ...


# -- the dates onpace supports ------------------------------------------------

#: The dates onpace works with, the same for every value, period and backend: far enough from
#: Python's ``date.min``/``date.max`` that every period, shift and look-back of the calendar
#: (years, fiscal years, three seasonal years back, forecasts ahead) stays a valid date.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
DATE_RANGE = f"a date from {FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}"
_RANGE_HINT = f"onpace works with {DATE_RANGE}"


def in_range(day: dt.date) -> bool:
    """Whether ``day`` is within the dates onpace supports (:data:`FIRST_DATE` to :data:`LAST_DATE`)."""
    return FIRST_DATE <= day <= LAST_DATE


def out_of_range(day: dt.date) -> str | None:
    """Why ``day`` cannot be used (a message naming the supported range), or None when it can."""
    if in_range(day):
        return None
    return (
        f"{day.isoformat()} is outside the dates onpace supports ({FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()})"
    )


# -- periods --------------------------------------------------------------------

_MONTHS = {Grain.month: 1, Grain.quarter: 3, Grain.year: 12, Grain.fiscal_quarter: 3, Grain.fiscal_year: 12}

#: A calendar unit of a window or an offset (day, week, month, quarter, year) in days, or in months.
UNIT_DAYS = {"day": 1, "week": 7}
UNIT_MONTHS = {"month": 1, "quarter": 3, "year": 12}


# the grains whose every period lies within one period of the longer grains named (besides day, in all)
_WITHIN = {
    Grain.month: {Grain.quarter, Grain.year, Grain.fiscal_quarter, Grain.fiscal_year},
    Grain.quarter: {Grain.year},
    Grain.fiscal_quarter: {Grain.fiscal_year},
}


def within(grain: Grain, to: Grain) -> bool:
    """Whether every period of ``grain`` lies within one period of ``to`` (a week does not in a month)."""
    return grain == Grain.day or grain == to or to in _WITHIN.get(grain, set())


def most_days(count: int, unit: str) -> int:
    """The most days ``count`` calendar units can span (a month counted as 31 days)."""
    return count * UNIT_DAYS[unit] if unit in UNIT_DAYS else count * UNIT_MONTHS[unit] * 31


def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` moved by ``months`` months, its day clamped to the end of the month (Jan 31 + 1 month = Feb 28/29)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise UserError(f"{d.isoformat()} moved by {months} months is not a date; {_RANGE_HINT}")
    return dt.date(year, month, min(d.day, monthrange(year, month)[1]))


def add_days(d: dt.date, days: int) -> dt.date:
    """``d`` moved by ``days`` days (a UserError naming the supported dates past the end of Python's dates)."""
    try:
        return d + dt.timedelta(days=days)
    except OverflowError:
        raise UserError(f"{d.isoformat()} moved by {days} days is not a date; {_RANGE_HINT}") from None


def fiscal_shift(cal: CalendarRules) -> int:
    """Months from the calendar year start to the fiscal year start (0 for January)."""
    return cal.fiscal_year_start - 1


def period_start(d: dt.date, grain: Grain, cal: CalendarRules) -> dt.date:
    """First day of the period of ``grain`` that contains ``d``."""
    if grain == Grain.day:
        return d
    if grain == Grain.week:
        start = WEEKDAYS.index(cal.week_start)
        return add_days(d, -((d.weekday() - start) % 7))
    if grain == Grain.month:
        return d.replace(day=1)
    if grain == Grain.quarter:
        return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    if grain == Grain.year:
        return dt.date(d.year, 1, 1)
    shift = fiscal_shift(cal)
    moved = add_months(d.replace(day=1), -shift)
    base = period_start(moved, Grain.quarter if grain == Grain.fiscal_quarter else Grain.year, cal)
    return add_months(base, shift)


def shift_period(p: dt.date, n: int, grain: Grain) -> dt.date:
    """The start of the period ``n`` periods after the one starting on ``p`` (n may be negative)."""
    if grain == Grain.day:
        return add_days(p, n)
    if grain == Grain.week:
        return add_days(p, 7 * n)
    return add_months(p, _MONTHS[grain] * n)


def shift_date(d: dt.date, n: int, unit: str) -> dt.date:
    """``d`` moved by ``n`` calendar units (day, week, month, quarter, year)."""
    if unit in UNIT_DAYS:
        return add_days(d, UNIT_DAYS[unit] * n)
    return add_months(d, UNIT_MONTHS[unit] * n)


def period_end(p: dt.date, grain: Grain) -> dt.date:
    """Last day of the period of ``grain`` starting on ``p``."""
    return add_days(shift_period(p, 1, grain), -1)


def periods(first: dt.date, last: dt.date, grain: Grain, cal: CalendarRules) -> Iterator[dt.date]:
    """Starts of every period from the one containing ``first`` to the one containing ``last``."""
    p = period_start(first, grain, cal)
    while p <= last:
        yield p
        p = shift_period(p, 1, grain)


def first_period_on_or_after(d: dt.date, grain: Grain, cal: CalendarRules) -> dt.date:
    """Start of the first period of ``grain`` that starts on or after ``d``."""
    p = period_start(d, grain, cal)
    return p if p >= d else shift_period(p, 1, grain)


# -- names of periods -------------------------------------------------------------

_LABEL = re.compile(r"^(?P<fy>FY)?(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>\d{2})))?$")

FORMS = "YYYY, YYYY-QN, YYYY-MM, FYYYYY or FYYYYY-QN (e.g. 2025, 2025-Q3, 2025-07, FY2026, FY2026-Q1)"


def fiscal_year_start(year: int, cal: CalendarRules) -> dt.date:
    """First day of the fiscal year named ``year``."""
    first = cal.fiscal_year_start
    if first == 1 or cal.fiscal_year_named_by == "start":
        return dt.date(year, first, 1)
    return dt.date(year - 1, first, 1)


def parse_period(text: str, cal: CalendarRules) -> tuple[dt.date, Grain]:
    """The first day and grain of the period named ``text``; ValueError names the accepted forms."""
    match = _LABEL.match(text.strip())
    if not match or (match["month"] and not 1 <= int(match["month"]) <= 12) or (match["fy"] and match["month"]):
        raise ValueError(f"invalid period {text!r}; expected {FORMS}")
    try:
        start, grain = _named(match, cal)
        inside = in_range(start) and in_range(period_end(start, grain))
    except (ValueError, UserError):  # year 0
        inside = False
    if not inside:
        raise ValueError(f"invalid period {text!r}: it is outside the dates onpace supports; expected {DATE_RANGE}")
    return start, grain


def _named(match: re.Match[str], cal: CalendarRules) -> tuple[dt.date, Grain]:
    year = int(match["year"])
    if match["fy"]:
        start = fiscal_year_start(year, cal)
        if match["quarter"]:
            return add_months(start, 3 * (int(match["quarter"]) - 1)), Grain.fiscal_quarter
        return start, Grain.fiscal_year
    if match["quarter"]:
        return dt.date(year, 3 * (int(match["quarter"]) - 1) + 1, 1), Grain.quarter
    if match["month"]:
        return dt.date(year, int(match["month"]), 1), Grain.month
    return dt.date(year, 1, 1), Grain.year


def period_label(start: dt.date, grain: Grain, cal: CalendarRules) -> str:
    """The name of the period of ``grain`` that starts on ``start`` (the inverse of :func:`parse_period`)."""
    if grain == Grain.year:
        return f"{start.year}"
    if grain == Grain.quarter:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if grain == Grain.month:
        return f"{start.year}-{start.month:02d}"
    if grain in (Grain.fiscal_year, Grain.fiscal_quarter):
        months_in = (start.month - cal.fiscal_year_start) % 12
        year_start = add_months(start.replace(day=1), -months_in)
        named = year_start.year
        if cal.fiscal_year_start != 1 and cal.fiscal_year_named_by == "end":
            named += 1
        if grain == Grain.fiscal_year:
            return f"FY{named}"
        return f"FY{named}-Q{months_in // 3 + 1}"
    if grain == Grain.week:
        return f"week of {start.isoformat()}"
    return start.isoformat()


# -- days of a period -------------------------------------------------------------


def total_days(start: dt.date, end: dt.date) -> int:
    """Days from ``start`` to ``end``, both included."""
    if end < start:
        raise UserError(f"the period ends ({end}) before it starts ({start})")
    return (end - start).days + 1


def elapsed_days(start: dt.date, end: dt.date, as_of: dt.date) -> int:
    """Days of the period up to and including ``as_of``: 0 before the start, all of them after the end."""
    total = total_days(start, end)
    if as_of < start:
        return 0
    return min((as_of - start).days + 1, total)


def remaining_days(start: dt.date, end: dt.date, as_of: dt.date) -> int:
    """Days of the period after ``as_of``."""
    return total_days(start, end) - elapsed_days(start, end, as_of)


def is_over(end: dt.date, as_of: dt.date) -> bool:
    """True once the data of the period's last day is in (``as_of`` on or after the end)."""
    return as_of >= end

"""Names of periods, as people write them: 1998, 1998-Q3, 1998-07, FY1999, FY1999-Q1.

A KPI or objective with a one-off timeframe names its period this way. Fiscal
years are named by the calendar year they start in by default (FY1998 with an
April start runs from 1998-04-01 to 1999-03-31), or by the year they end in
(``calendar.fiscal_year_named_by: end``, as US companies do). With a January
start the two agree.
"""

from __future__ import annotations

import datetime as dt
import re

from onpace.catalog.models import Calendar, Grain

_LABEL = re.compile(r"^(?P<fy>FY)?(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>\d{2})))?$")

FORMS = "YYYY, YYYY-QN, YYYY-MM, FYYYYY or FYYYYY-QN (e.g. 2025, 2025-Q3, 2025-07, FY2026, FY2026-Q1)"

#: The dates onpace works with, the same for every value, period and backend: far enough from
#: Python's ``date.min``/``date.max`` that every period, shift and look-back of the calendar
#: (years, fiscal years, three seasonal years back, forecasts ahead) stays a valid date.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
DATE_RANGE = f"a date from {FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}"


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


def fiscal_year_start(year: int, cal: Calendar) -> dt.date:
    """First day of the fiscal year named ``year``."""
    first = cal.fiscal_year_start
    if first == 1 or cal.fiscal_year_named_by == "start":
        return dt.date(year, first, 1)
    return dt.date(year - 1, first, 1)


def parse_period(text: str, cal: Calendar) -> tuple[dt.date, Grain]:
    """The first day and grain of the period named ``text``; ValueError names the accepted forms."""
    match = _LABEL.match(text.strip())
    if not match or (match["month"] and not 1 <= int(match["month"]) <= 12) or (match["fy"] and match["month"]):
        raise ValueError(f"invalid period {text!r}; expected {FORMS}")
    try:
        start, grain = _named(match, cal)
        inside = in_range(start) and in_range(period_end(start, grain))
    except ValueError:  # year 0
        inside = False
    if not inside:
        raise ValueError(f"invalid period {text!r}: it is outside the dates onpace supports; expected {DATE_RANGE}")
    return start, grain


def _named(match: re.Match[str], cal: Calendar) -> tuple[dt.date, Grain]:
    year = int(match["year"])
    if match["fy"]:
        start = fiscal_year_start(year, cal)
        if match["quarter"]:
            return _add_months(start, 3 * (int(match["quarter"]) - 1)), Grain.fiscal_quarter
        return start, Grain.fiscal_year
    if match["quarter"]:
        return dt.date(year, 3 * (int(match["quarter"]) - 1) + 1, 1), Grain.quarter
    if match["month"]:
        return dt.date(year, int(match["month"]), 1), Grain.month
    return dt.date(year, 1, 1), Grain.year


def period_label(start: dt.date, grain: Grain, cal: Calendar) -> str:
    """The name of the period of ``grain`` that starts on ``start`` (the inverse of :func:`parse_period`)."""
    if grain == Grain.year:
        return f"{start.year}"
    if grain == Grain.quarter:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if grain == Grain.month:
        return f"{start.year}-{start.month:02d}"
    if grain in (Grain.fiscal_year, Grain.fiscal_quarter):
        months_in = (start.month - cal.fiscal_year_start) % 12
        year_start = _add_months(start, -months_in)
        named = year_start.year
        if cal.fiscal_year_start != 1 and cal.fiscal_year_named_by == "end":
            named += 1
        if grain == Grain.fiscal_year:
            return f"FY{named}"
        return f"FY{named}-Q{months_in // 3 + 1}"
    if grain == Grain.week:
        return f"week of {start.isoformat()}"
    return start.isoformat()


_MONTHS = {Grain.month: 1, Grain.quarter: 3, Grain.year: 12, Grain.fiscal_quarter: 3, Grain.fiscal_year: 12}


def period_end(start: dt.date, grain: Grain) -> dt.date:
    """Last day of the period of ``grain`` (month or longer) that starts on ``start``."""
    return _add_months(start, _MONTHS[grain]) - dt.timedelta(days=1)


def _add_months(d: dt.date, months: int) -> dt.date:
    total = d.year * 12 + d.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)

"""Calendar math: Python's period rules and the backend's agree, and both match hand-checked dates."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onpace import calendar as cal
from onpace.catalog.models import WEEKDAYS, Calendar, Grain
from onpace.engine.calendar import truncate

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31))
calendars = st.builds(Calendar, week_start=st.sampled_from(WEEKDAYS), fiscal_year_start=st.integers(1, 12))


@pytest.mark.parametrize(
    ("day", "grain", "calendar", "expected"),
    [
        (dt.date(2024, 12, 31), Grain.week, Calendar(), dt.date(2024, 12, 30)),  # ISO week across the year end
        (dt.date(2025, 1, 1), Grain.week, Calendar(), dt.date(2024, 12, 30)),
        (dt.date(2023, 1, 1), Grain.week, Calendar(), dt.date(2022, 12, 26)),  # a Sunday belongs to the week before
        (dt.date(2023, 1, 1), Grain.week, Calendar(week_start="sunday"), dt.date(2023, 1, 1)),
        (dt.date(2023, 1, 7), Grain.week, Calendar(week_start="sunday"), dt.date(2023, 1, 1)),
        (dt.date(2024, 3, 31), Grain.fiscal_year, Calendar(fiscal_year_start=4), dt.date(2023, 4, 1)),
        (dt.date(2024, 4, 1), Grain.fiscal_year, Calendar(fiscal_year_start=4), dt.date(2024, 4, 1)),
        (dt.date(2024, 2, 15), Grain.fiscal_quarter, Calendar(fiscal_year_start=4), dt.date(2024, 1, 1)),
        (dt.date(2024, 5, 20), Grain.fiscal_quarter, Calendar(fiscal_year_start=4), dt.date(2024, 4, 1)),
        (dt.date(2024, 2, 29), Grain.fiscal_year, Calendar(fiscal_year_start=2), dt.date(2024, 2, 1)),
        (dt.date(2024, 1, 31), Grain.fiscal_year, Calendar(fiscal_year_start=2), dt.date(2023, 2, 1)),
        (dt.date(2024, 1, 31), Grain.fiscal_quarter, Calendar(fiscal_year_start=2), dt.date(2023, 11, 1)),
        (dt.date(2024, 8, 17), Grain.quarter, Calendar(), dt.date(2024, 7, 1)),
    ],
)
def test_period_start_by_hand(day: dt.date, grain: Grain, calendar: Calendar, expected: dt.date) -> None:
    assert cal.period_start(day, grain, calendar) == expected


@given(day=dates, calendar=calendars, grain=st.sampled_from(list(Grain)))
def test_period_contains_the_day(day: dt.date, calendar: Calendar, grain: Grain) -> None:
    start = cal.period_start(day, grain, calendar)
    end = cal.period_end(start, grain)
    assert start <= day <= end
    # the next period starts the day after this one ends, and is a period start itself
    following = cal.shift_period(start, 1, grain)
    assert following == end + dt.timedelta(days=1)
    assert cal.period_start(following, grain, calendar) == following


@given(day=dates, calendar=calendars)
def test_week_starts_on_the_configured_day(day: dt.date, calendar: Calendar) -> None:
    start = cal.period_start(day, Grain.week, calendar)
    assert WEEKDAYS[start.weekday()] == calendar.week_start
    assert 0 <= (day - start).days < 7


@given(day=dates, calendar=calendars)
def test_fiscal_year_starts_in_the_configured_month(day: dt.date, calendar: Calendar) -> None:
    start = cal.period_start(day, Grain.fiscal_year, calendar)
    assert start.month == calendar.fiscal_year_start and start.day == 1
    quarter = cal.period_start(day, Grain.fiscal_quarter, calendar)
    assert (quarter.month - calendar.fiscal_year_start) % 3 == 0
    assert start <= quarter <= day


@settings(max_examples=30, deadline=None)
@given(days=st.lists(dates, min_size=1, max_size=40), calendar=calendars, grain=st.sampled_from(list(Grain)))
def test_backend_truncation_matches_python(days: list[dt.date], calendar: Calendar, grain: Grain) -> None:
    con = ibis.duckdb.connect()
    table = ibis.memtable(pa.table({"d": pa.array(days, type=pa.date32())}))
    expr = table.select(p=truncate(table.d, grain, calendar).cast("date"), d=table.d)
    got = {row["d"]: row["p"] for row in con.to_pyarrow(expr).to_pylist()}
    assert got == {d: cal.period_start(d, grain, calendar) for d in days}

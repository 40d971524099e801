"""The outlet KPI of issue 14 (defect 8), worked by hand at the two dates it can be judged at.

Outlet sells 50 a day up to 2025-08-10; the web goes on to 2025-08-15. A monthly
flow KPI on the outlet, at least 1,550 for August (31 days), linear phasing:

- as of 2025-08-10, the outlet's own last day with data (what onpace does): 10 days,
  500 sold, 1,550 x 10/31 = 500 expected, attainment 1.0, on track; at 50 a day the
  forecast is 500 + 21 x 50 = 1,550;
- as of 2025-08-15 (the days the time spine fills with 0 counted as data): 15 days,
  still 500 sold, 750 expected, attainment 0.667, off track.

Which date is the as-of date is decided by the services (the KPI's series, see
tests/services/test_as_of_segments.py); these pin the math at each.
"""

from __future__ import annotations

import datetime as dt

import pytest

from onpace.kpi.evaluate import KpiInput, evaluate
from onpace.kpi.types import Status, Target

AUGUST = (dt.date(2025, 8, 1), dt.date(2025, 8, 31))


def _outlet(as_of: dt.date, history: tuple[float, ...]) -> KpiInput:
    return KpiInput(
        accumulation="flow",
        direction="higher",
        period_start=AUGUST[0],
        period_end=AUGUST[1],
        as_of=as_of,
        actual=500.0,
        history=history,
        target=Target.at_least(1550.0),
    )


def test_judged_as_of_the_segments_last_day_with_data() -> None:
    e = evaluate(_outlet(dt.date(2025, 8, 10), (50.0,) * 60))
    assert (e.elapsed_days, e.total_days) == (10, 31)
    assert e.expected_to_date == pytest.approx(500.0)
    assert e.attainment == pytest.approx(1.0)
    assert e.status == Status.on_track
    assert e.forecast == pytest.approx(1550.0)


def test_judged_as_of_zero_filled_days_it_would_be_off_track() -> None:
    e = evaluate(_outlet(dt.date(2025, 8, 15), (50.0,) * 55 + (0.0,) * 5))
    assert e.elapsed_days == 15
    assert e.expected_to_date == pytest.approx(750.0)
    assert e.attainment == pytest.approx(500 / 750)
    assert e.status == Status.off_track

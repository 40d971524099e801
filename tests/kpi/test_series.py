"""The values a KPI is judged on (onpace.kpi.series): stored rows, manual values spread and rolled up."""

from __future__ import annotations

import datetime as dt

import pytest

from onpace.catalog import models as m
from onpace.errors import UserError
from onpace.kpi.series import KpiSeries, from_stored, roll_up, spread, stored_grains, sum_days

D = dt.date
GREGORIAN = m.Calendar()


def _manual(over_time: str, grain: m.Grain = m.Grain.month) -> m.ManualMetric:
    return m.ManualMetric.model_validate({"name": "budget", "type": "manual", "grain": grain, "over_time": over_time})


def test_first_and_last_day_and_coverage() -> None:
    series = KpiSeries({D(2025, 1, 1): None, D(2025, 1, 2): 1.0, D(2025, 1, 5): 0.0, D(2025, 1, 6): None}, {})
    assert (series.first_day, series.last_day) == (D(2025, 1, 2), D(2025, 1, 5))  # days with a value
    assert series.covers(D(2025, 1, 2), D(2025, 1, 5))
    assert not series.covers(D(2025, 1, 1), D(2025, 1, 5))  # starts before the first day with data
    assert not series.covers(D(2025, 1, 2), D(2025, 1, 6))
    empty = KpiSeries({}, {})
    assert (empty.first_day, empty.last_day, empty.covers(D(2025, 1, 1), D(2025, 1, 1))) == (None, None, False)


def test_sum_of_days() -> None:
    daily = {D(2025, 1, 1): 1.5, D(2025, 1, 2): None, D(2025, 1, 3): 2.0, D(2025, 1, 4): 4.0}
    assert sum_days(daily, D(2025, 1, 1), D(2025, 1, 3)) == 3.5  # 1.5 + 2, the day without a value left out
    assert sum_days(daily, D(2025, 1, 2), D(2025, 1, 2)) is None  # no value at all: None, not 0


def test_a_monthly_sum_is_spread_evenly_and_a_last_value_holds_each_day() -> None:
    values = {D(2025, 2, 1): 280.0, D(2025, 3, 1): None}
    by_day = spread(values, _manual("sum"))
    assert len(by_day) == 28 + 31
    assert {by_day[D(2025, 2, 1) + dt.timedelta(days=i)] for i in range(28)} == {10.0}  # 280 / 28 days
    assert {by_day[D(2025, 3, 1) + dt.timedelta(days=i)] for i in range(31)} == {None}
    held = spread({D(2025, 2, 1): 7.0}, _manual("last"))
    assert set(held.values()) == {7.0} and len(held) == 28
    day_values = {D(2025, 2, 3): 4.0}
    assert spread(day_values, _manual("sum", m.Grain.day)) == day_values


@pytest.mark.parametrize(("over_time", "q1"), [("sum", 600.0), ("last", 300.0), ("avg", 200.0)])
def test_monthly_values_roll_up_to_the_quarter(over_time: str, q1: float) -> None:
    values = {D(2025, 1, 1): 100.0, D(2025, 2, 1): 200.0, D(2025, 3, 1): 300.0, D(2025, 4, 1): None, D(2025, 5, 1): 5.0}
    # Q2 has only May with a value (April's is None and left out)
    assert roll_up(values, _manual(over_time), m.Grain.quarter, GREGORIAN) == {D(2025, 1, 1): q1, D(2025, 4, 1): 5.0}


@pytest.mark.parametrize(("over_time", "q3", "q4"), [("last", 60.0, 80.0), ("avg", 60.0, 80.0)])
def test_a_quarterly_value_holds_in_each_month_of_a_monthly_kpi(over_time: str, q3: float, q4: float) -> None:
    """A monthly KPI on a quarterly score (60 for Q3, 80 for Q4) had values in July and October only:
    August, September, November and December were 'no data', though the score holds on each day."""
    values = {D(2026, 7, 1): 60.0, D(2026, 10, 1): 80.0}
    months = roll_up(values, _manual(over_time, m.Grain.quarter), m.Grain.month, GREGORIAN)
    assert months == {D(2026, month, 1): (q3 if month < 10 else q4) for month in range(7, 13)}


def test_a_quarterly_sum_is_shared_by_its_months_days() -> None:
    # 9,200 for Q4 2026 (92 days): October and December 31 days each (3,100), November 30 (3,000)
    months = roll_up({D(2026, 10, 1): 9200.0}, _manual("sum", m.Grain.quarter), m.Grain.month, GREGORIAN)
    assert months == {D(2026, 10, 1): 3100.0, D(2026, 11, 1): 3000.0, D(2026, 12, 1): 3100.0}
    # a week straddling two months (Mon 2026-06-29 to Sun 07-05): 70 is 2 days of June, 5 of July
    weeks = roll_up({D(2026, 6, 29): 70.0}, _manual("sum", m.Grain.week), m.Grain.month, GREGORIAN)
    assert weeks == {D(2026, 6, 1): pytest.approx(20.0), D(2026, 7, 1): pytest.approx(50.0)}


def test_the_series_a_kpi_reads() -> None:
    revenue = m.SimpleMetric.model_validate({"name": "revenue", "measure": "revenue"})
    assert stored_grains(revenue, m.Grain.quarter) == (m.Grain.day, m.Grain.quarter)
    assert stored_grains(_manual("sum"), m.Grain.quarter) == (m.Grain.month,)


def test_from_stored_rows() -> None:
    revenue = m.SimpleMetric.model_validate({"name": "revenue", "measure": "revenue"})
    rows = {m.Grain.day: [(D(2025, 1, 1), 3.0), (D(2025, 1, 2), 4.0)], m.Grain.quarter: [(D(2025, 1, 1), 7.0)]}
    series = from_stored(revenue, m.Grain.quarter, GREGORIAN, rows)
    assert series.daily == {D(2025, 1, 1): 3.0, D(2025, 1, 2): 4.0}
    assert series.periodic == {D(2025, 1, 1): 7.0}
    # a manual metric: its monthly values spread over days and summed by quarter
    manual = from_stored(_manual("sum"), m.Grain.quarter, GREGORIAN, {m.Grain.month: [(D(2025, 4, 1), 300.0)]})
    assert manual.periodic == {D(2025, 4, 1): 300.0}
    assert (manual.first_day, manual.last_day, manual.daily[D(2025, 4, 30)]) == (D(2025, 4, 1), D(2025, 4, 30), 10.0)
    assert from_stored(revenue, m.Grain.quarter, GREGORIAN, {}).last_day is None


def test_a_stored_manual_period_onpace_cannot_use_is_an_error() -> None:
    with pytest.raises(UserError, match="metric 'budget' has a value stored for a period onpace cannot use: 1899"):
        from_stored(_manual("sum"), m.Grain.quarter, GREGORIAN, {m.Grain.month: [(D(1899, 12, 1), 1.0)]})

"""One KPI instance judged from its values (onpace.kpi.judge), with numbers worked out by hand.

The project is conftest.py's; the values are built here: 10 a day unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.kpi.instances import KpiInstance, kpi_instances
from onpace.kpi.judge import (
    HISTORY_DAYS,
    actual,
    as_of_date,
    daily_history,
    evaluate_instance,
    history,
    judged_period,
    period_of,
)
from onpace.kpi.series import KpiSeries
from onpace.kpi.types import Status

D = dt.date
Q2 = (D(2025, 4, 1), D(2025, 6, 30))  # 91 days


def _instance(project: Project, name: str) -> KpiInstance:
    return next(i for i in kpi_instances(project) if i.kpi.name == name)


def _days(first: dt.date, last: dt.date, value: float = 10.0) -> dict[dt.date, float | None]:
    return {first + dt.timedelta(days=i): value for i in range((last - first).days + 1)}


@pytest.mark.parametrize(
    ("kpi", "as_of", "period"),
    [
        ("q_revenue", D(2025, 5, 15), (D(2025, 4, 1), D(2025, 6, 30), m.Grain.quarter)),
        ("by_region", D(2024, 2, 29), (D(2024, 2, 1), D(2024, 2, 29), m.Grain.month)),
        # one period: the same whatever the as-of date
        ("ticket_level", D(2020, 1, 1), (D(2025, 7, 1), D(2025, 9, 30), m.Grain.quarter)),
        # fiscal years start in April (conftest.py)
        ("spend", D(2025, 3, 31), (D(2024, 4, 1), D(2025, 3, 31), m.Grain.fiscal_year)),
    ],
)
def test_the_period_that_holds_the_as_of_date(
    load: Callable[[str], Project], kpi: str, as_of: dt.date, period: tuple[dt.date, dt.date, m.Grain]
) -> None:
    project = load("today")
    assert period_of(project, project.kpis[kpi], as_of) == period


def test_the_as_of_date(load: Callable[[str], Project]) -> None:
    today, last = D(2025, 5, 20), D(2025, 5, 15)
    assert as_of_date(load("today"), last, today) == today
    latest = load("latest_data")
    assert as_of_date(latest, last, today) == last
    assert as_of_date(latest, None, today) == today  # without data


def test_data_that_ends_before_today_is_judged_as_of_its_last_day(load: Callable[[str], Project]) -> None:
    series = KpiSeries(_days(D(2025, 3, 1), D(2025, 5, 15)), {})
    project = load("today")
    period = judged_period(project, project.kpis["q_revenue"], series, D(2025, 7, 2))
    # today (July 2) picks Q3; the data ends in Q2, so Q3 is judged as of May 15 (before it starts)
    assert (period.start, period.end, period.wall, period.as_of) == (
        D(2025, 7, 1),
        D(2025, 9, 30),
        D(2025, 7, 2),
        D(2025, 5, 15),
    )
    latest = load("latest_data")
    period = judged_period(latest, latest.kpis["q_revenue"], series, D(2025, 7, 2))
    assert (period.start, period.wall, period.as_of) == (D(2025, 4, 1), D(2025, 5, 15), D(2025, 5, 15))
    empty = judged_period(latest, latest.kpis["q_revenue"], KpiSeries({}, {}), D(2025, 7, 2))
    assert (empty.wall, empty.as_of) == (D(2025, 7, 2), D(2025, 7, 2))


def test_the_actual_to_date() -> None:
    series = KpiSeries(_days(D(2025, 3, 1), D(2025, 5, 15)), {D(2025, 4, 1): 300.0})
    # a flow that adds up by day: the days from April 1 to May 10, 40 x 10
    assert actual(True, True, series, *Q2, D(2025, 5, 10)) == 400.0
    # count distinct and levels: the period's own value
    assert actual(True, False, series, *Q2, D(2025, 5, 10)) == 300.0
    assert actual(False, False, series, *Q2, D(2025, 5, 10)) == 300.0
    assert actual(False, False, series, D(2025, 7, 1), D(2025, 9, 30), D(2025, 7, 2)) is None


def test_the_daily_history() -> None:
    daily: dict[dt.date, float | None] = {
        D(2025, 1, 1): 1.0,
        D(2025, 1, 2): None,
        D(2025, 1, 3): 3.0,
        D(2025, 1, 9): 9.0,
    }
    # a flow counts a day without a value as 0; a level skips it; nothing after 'until'
    assert daily_history(daily, D(2025, 1, 4), flow=True) == (1.0, 0.0, 3.0, 0.0)
    assert daily_history(daily, D(2025, 1, 4), flow=False) == (1.0, 3.0)
    assert daily_history({}, D(2025, 1, 4), flow=True) == ()
    long = _days(D(2020, 1, 1), D(2025, 1, 1))
    kept = daily_history(long, D(2025, 1, 1), flow=True)
    assert len(kept) == HISTORY_DAYS == 730


def test_a_count_distinct_history_is_scaled_by_the_overlap_so_far() -> None:
    # 10 buyers a day over April 1..May 15 (45 days, 450) but 300 distinct: each day scaled by 300 / 450
    series = KpiSeries(_days(D(2025, 4, 1), D(2025, 5, 15)), {D(2025, 4, 1): 300.0})
    scaled = history(True, False, series, *Q2, D(2025, 5, 15), 300.0)
    assert len(scaled) == 45 and scaled[0] == pytest.approx(10 * 300 / 450)
    # a sum is not scaled; the history ends at the last day with data
    assert history(True, True, series, *Q2, D(2025, 6, 1), 450.0) == (10.0,) * 45
    assert history(True, False, KpiSeries({}, {}), *Q2, D(2025, 5, 15), None) == ()


def test_a_flow_kpi_judged_from_its_values(load: Callable[[str], Project]) -> None:
    project = load("today")
    series = KpiSeries(_days(D(2024, 10, 1), D(2025, 5, 15)), {})
    evaluation, target = evaluate_instance(project, _instance(project, "q_revenue"), series, D(2025, 5, 20))
    # Q2 2025, as of May 15 (45 of 91 days): 450 against 1,200 x 45 / 91 = 593.41 expected
    assert (evaluation.period_start, evaluation.period_end, evaluation.as_of) == (*Q2, D(2025, 5, 15))
    assert (evaluation.target, evaluation.actual) == (1200.0, 450.0)
    assert evaluation.expected_to_date == pytest.approx(1200 * 45 / 91)
    assert evaluation.attainment == pytest.approx(450 / (1200 * 45 / 91))  # 0.758: below 0.9
    assert evaluation.status == Status.off_track
    assert evaluation.phasing_used == "linear"
    assert "data ends on 2025-05-15: judged as of then" in evaluation.notes
    assert evaluation.forecast is not None
    assert target.target is not None and target.target.value == 1200.0


def test_a_change_target_without_a_whole_baseline_is_no_data(load: Callable[[str], Project]) -> None:
    project = load("latest_data")
    series = KpiSeries(_days(D(2025, 1, 2), D(2025, 5, 15)), {})
    evaluation, target = evaluate_instance(project, _instance(project, "growth"), series, D(2025, 5, 20))
    assert (evaluation.status, evaluation.target, evaluation.actual) == (Status.no_data, None, 450.0)
    assert "no baseline: the data does not cover the whole previous period" in evaluation.notes
    assert target.basis == "+10% vs previous period"

"""A KPI's past periods (onpace.kpi.history), judged as of their last day, worked out by hand.

The project is conftest.py's (``today`` as-of); the values are built here. ``q_revenue`` is a
quarterly flow of at least 900, and 1,200 from 2025-01-01; ``growth`` +10% on the previous quarter;
``cheap_tickets`` a monthly ratio of at most 30; ``ticket_level`` a level judged in 2025-Q3 only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from onpace.catalog.project import Project
from onpace.kpi.history import ended_periods, past_results
from onpace.kpi.instances import KpiInstance, kpi_instances
from onpace.kpi.series import KpiSeries
from onpace.kpi.types import Status

D = dt.date
TODAY = D(2025, 11, 20)


def _instance(project: Project, name: str) -> KpiInstance:
    return next(i for i in kpi_instances(project) if i.kpi.name == name)


def _days(first: dt.date, last: dt.date, value: float = 10.0) -> dict[dt.date, float | None]:
    return {first + dt.timedelta(days=i): value for i in range((last - first).days + 1)}


def _past(project: Project, name: str, series: KpiSeries) -> list[tuple[str, float | None, float | None, Status]]:
    return [
        (e.period_start.isoformat(), e.actual, e.target, e.status)
        for e, _ in past_results(project, _instance(project, name), series, TODAY)
    ]


def test_three_past_quarters_of_a_flow(load: Callable[[str], Project]) -> None:
    # 10 a day from 2025-01-01 to 2025-11-15: Q1 90 days, Q2 91, Q3 92; Q4 is the current quarter
    project = load("today")
    series = KpiSeries(_days(D(2025, 1, 1), D(2025, 11, 15)), {})
    assert _past(project, "q_revenue", series) == [
        ("2025-01-01", 900.0, 1200.0, Status.missed),
        ("2025-04-01", 910.0, 1200.0, Status.missed),
        ("2025-07-01", 920.0, 1200.0, Status.missed),
    ]


def test_each_period_has_the_target_in_effect_then(load: Callable[[str], Project]) -> None:
    # from 2024-07-01: 2024's quarters against 900 (achieved), 2025's against 1,200 (missed)
    project = load("today")
    series = KpiSeries(_days(D(2024, 7, 1), D(2025, 11, 15)), {})
    assert _past(project, "q_revenue", series) == [
        ("2024-07-01", 920.0, 900.0, Status.achieved),
        ("2024-10-01", 920.0, 900.0, Status.achieved),
        ("2025-01-01", 900.0, 1200.0, Status.missed),
        ("2025-04-01", 910.0, 1200.0, Status.missed),
        ("2025-07-01", 920.0, 1200.0, Status.missed),
    ]
    # the reason says how each ended, in the metric's format (none: a plain number)
    first, _ = past_results(project, _instance(project, "q_revenue"), series, TODAY)[0]
    assert first.reason == "ended at 920 vs target 900"


def test_a_period_the_data_covers_in_part_is_left_out(load: Callable[[str], Project]) -> None:
    # the data starts on 2025-01-15: Q1's 770 would be too small to judge
    project = load("today")
    series = KpiSeries(_days(D(2025, 1, 15), D(2025, 11, 15)), {})
    assert [p for p, *_ in _past(project, "q_revenue", series)] == ["2025-04-01", "2025-07-01"]


def test_a_change_target_against_each_periods_own_baseline(load: Callable[[str], Project]) -> None:
    # +10% on the previous quarter: Q1 has no baseline (left out); Q2 needs 900 x 1.1 = 990 (910:
    # missed); Q3 needs 910 x 1.1 = 1,001 (920: missed)
    project = load("today")
    series = KpiSeries(_days(D(2025, 1, 1), D(2025, 11, 15)), {})
    past = _past(project, "growth", series)
    assert [(p, a, s) for p, a, _, s in past] == [
        ("2025-04-01", 910.0, Status.missed),
        ("2025-07-01", 920.0, Status.missed),
    ]
    assert [t for _, _, t, _ in past] == pytest.approx([990.0, 1001.0])


def test_a_ratio_takes_each_periods_own_value(load: Callable[[str], Project]) -> None:
    # the monthly ticket (at most 30): the stored value of each month, not a sum of its days
    project = load("today")
    daily = _days(D(2025, 8, 1), D(2025, 10, 31), 25.0)
    periodic = {D(2025, 8, 1): 28.0, D(2025, 9, 1): 31.0, D(2025, 10, 1): 30.0}
    assert _past(project, "cheap_tickets", KpiSeries(daily, periodic)) == [
        ("2025-08-01", 28.0, 30.0, Status.achieved),
        ("2025-09-01", 31.0, 30.0, Status.missed),
        ("2025-10-01", 30.0, 30.0, Status.achieved),  # exactly at most 30
    ]


def test_a_day_without_a_value_at_a_periods_end_still_ends_it(load: Callable[[str], Project]) -> None:
    # a rate with no denominator on 2025-08-31 (a Sunday without tickets): August is over all the same,
    # since the data goes on after it
    project = load("today")
    daily: dict[dt.date, float | None] = {**_days(D(2025, 8, 1), D(2025, 9, 30), 25.0), D(2025, 8, 31): None}
    periodic = {D(2025, 8, 1): 28.0, D(2025, 9, 1): 31.0}
    assert [p for p, *_ in _past(project, "cheap_tickets", KpiSeries(daily, periodic))] == [
        "2025-08-01",
        "2025-09-01",
    ]


def test_a_kpi_with_one_period_has_it_once_it_is_over(load: Callable[[str], Project]) -> None:
    project = load("today")
    series = KpiSeries(_days(D(2025, 6, 1), D(2025, 11, 15), 40.0), {D(2025, 7, 1): 4900.0})
    assert _past(project, "ticket_level", series) == [("2025-07-01", 4900.0, 5000.0, Status.achieved)]
    during = KpiSeries(_days(D(2025, 6, 1), D(2025, 8, 15), 40.0), {D(2025, 7, 1): 4900.0})
    assert _past(project, "ticket_level", during) == []  # not over yet


def test_the_current_period_counts_once_it_is_over(load: Callable[[str], Project]) -> None:
    # as of 2025-09-30, the last day of Q3 with data up to it: Q3 is over
    project = load("today")
    series = KpiSeries(_days(D(2025, 1, 1), D(2025, 9, 30)), {})
    kpi = project.kpis["q_revenue"]
    assert [(p.start, p.end, p.as_of) for p in ended_periods(project, kpi, series, D(2025, 9, 30))][-1] == (
        D(2025, 7, 1),
        D(2025, 9, 30),
        D(2025, 9, 30),
    )
    assert ended_periods(project, kpi, series, D(2025, 9, 29))[-1].start == D(2025, 4, 1)
    assert ended_periods(project, kpi, KpiSeries({}, {}), TODAY) == []

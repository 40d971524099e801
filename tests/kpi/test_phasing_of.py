"""A KPI's phasing from its definition (phasing_of) and the share due by a day under it (share).

The evaluation and the KPI chart both call these two, so they phase a target alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.kpi.phasing import LINEAR, Phasing, phasing_of, share
from onpace.kpi.series import KpiSeries

D = dt.date
GREGORIAN = m.Calendar()
Q2 = (D(2025, 4, 1), D(2025, 6, 30))  # 91 days


def _kpi(phasing: Any) -> g.Kpi:
    return g.Kpi.model_validate({"name": "k", "metric": "revenue", "phasing": phasing})


def test_linear_share() -> None:
    assert share(LINEAR, D(1998, 7, 1), D(1998, 9, 30), D(1998, 8, 15)) == (0.5, "linear")  # day 46 of 92


def test_seasonal_share_and_its_fallback_to_linear() -> None:
    start, end = D(2025, 1, 1), D(2025, 1, 4)
    # one earlier period of four days: 2, 1, 1, 0; after two days 3 of 4 was reached
    assert share(Phasing("seasonal", past=((2.0, 1.0, 1.0, 0.0),)), start, end, D(2025, 1, 2)) == (0.75, "seasonal")
    # no earlier period: linear, 2 of 4 days
    assert share(Phasing("seasonal"), start, end, D(2025, 1, 2)) == (0.5, "linear")


def test_milestone_share() -> None:
    phasing = Phasing("milestones", milestones=((D(2025, 4, 30), 0.2),))
    assert share(phasing, *Q2, D(2025, 4, 30)) == (0.2, "milestones")
    # halfway from (30 days, 0.2) to (91 days, 1): 0.2 + 0.8 * (61 - 30) / (91 - 30)
    assert share(phasing, *Q2, D(2025, 5, 31))[0] == pytest.approx(0.2 + 0.8 * 31 / 61)


def test_linear_is_the_default() -> None:
    assert phasing_of(_kpi("linear"), KpiSeries({}, {}), *Q2, m.Grain.quarter, GREGORIAN) == LINEAR


def test_milestones_by_elapsed_fall_on_a_day_never_the_last() -> None:
    kpi = _kpi(
        {
            "milestones": [
                {"elapsed": 0.5, "share": 0.4},  # 0.5 x 91 = 45.5, rounded to 46: the 46th day, May 16
                {"date": "2025-05-16", "share": 0.45},  # the same day: one point, the larger share
                {"elapsed": 0.999, "share": 0.9},  # 90.9 rounds to 91, the last day: the day before, June 29
            ]
        }
    )
    phasing = phasing_of(kpi, KpiSeries({}, {}), *Q2, m.Grain.quarter, GREGORIAN)
    assert phasing == Phasing("milestones", milestones=((D(2025, 5, 16), 0.45), (D(2025, 6, 29), 0.9)))


def test_seasonal_reads_the_earlier_years_the_data_covers_whole() -> None:
    first = D(2022, 1, 2)  # 2022-Q1 is not covered whole: left out
    days = (D(2025, 3, 31) - first).days + 1
    daily: dict[dt.date, float | None] = {first + dt.timedelta(days=i): 1.0 for i in range(days)}
    daily[D(2024, 1, 10)] = None  # a day without a value counts 0 in the shape
    phasing = phasing_of(
        _kpi("seasonal"), KpiSeries(daily, {}), D(2025, 1, 1), D(2025, 3, 31), m.Grain.quarter, GREGORIAN
    )
    assert phasing.kind == "seasonal"
    # a year back first: 2024-Q1 (91 days, a leap year), then 2023-Q1 (90 days)
    assert [len(p) for p in phasing.past] == [91, 90]
    assert phasing.past[0][9] == 0.0 and sum(phasing.past[0]) == 90.0
    assert set(phasing.past[1]) == {1.0}

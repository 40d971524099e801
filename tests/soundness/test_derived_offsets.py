"""Derived metrics with offsets: the prior value is read from data before ``start``.

A prior period without data has value 0 for a sum: a difference uses that 0,
and a growth rate divides by it and must give null (not an error, not inf).
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

SALES = [
    {"sale_date": d("2023-01-15"), "amount": 10.0},
    {"sale_date": d("2023-02-10"), "amount": 20.0},
    {"sale_date": d("2023-04-05"), "amount": 40.0},
    {"sale_date": d("2023-12-20"), "amount": 12.0},
    {"sale_date": d("2024-01-15"), "amount": 15.0},
    {"sale_date": d("2024-02-10"), "amount": 25.0},
    {"sale_date": d("2024-03-05"), "amount": 45.0},
    {"sale_date": d("2024-04-05"), "amount": 20.0},
    {"sale_date": d("2024-05-05"), "amount": 50.0},
    # no sale in June 2024
    {"sale_date": d("2024-07-05"), "amount": 30.0},
]

MODELS = """
datasets:
  - name: sales
    table: sales
    time: sale_date
    dimensions:
      - {name: sale_date, column: sale_date, type: time}
    measures:
      - {name: amount, agg: sum, expr: amount}
metrics:
  - {name: revenue, measure: sales.amount}
  - name: mom_growth
    type: derived
    expr: revenue / revenue_prev - 1
    inputs:
      - {metric: revenue}
      - {metric: revenue, alias: revenue_prev, offset: 1 period}
  - name: mom_delta
    type: derived
    expr: revenue - revenue_prev
    inputs:
      - {metric: revenue}
      - {metric: revenue, alias: revenue_prev, offset: 1 period}
  - name: yoy_growth
    type: derived
    expr: revenue / revenue_ly - 1
    inputs:
      - {metric: revenue}
      - {metric: revenue, alias: revenue_ly, offset: 1 year}
  - name: yoy_delta
    type: derived
    expr: revenue - revenue_ly
    inputs:
      - {metric: revenue}
      - {metric: revenue, alias: revenue_ly, offset: 1 year}
"""

METRICS = ["revenue", "mom_growth", "mom_delta", "yoy_growth", "yoy_delta"]


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"sales": SALES}, MODELS)


def test_month_over_month_and_year_over_year(project: SoundProject) -> None:
    table = project.query(METRICS, grain="month", start=d("2024-01-01"), end=d("2024-07-31"))
    assert_table(
        table,
        ["period", *METRICS],
        [
            # prior month Dec 2023 = 12, before `start` (not read: null growth, delta 15); a year ago 10
            (d("2024-01-01"), 15.0, 15 / 12 - 1, 3.0, 15 / 10 - 1, 5.0),
            (d("2024-02-01"), 25.0, 25 / 15 - 1, 10.0, 25 / 20 - 1, 5.0),
            # March 2023 had no sale: prior 0 -> growth null, delta 45 - 0
            (d("2024-03-01"), 45.0, 45 / 25 - 1, 20.0, None, 45.0),
            (d("2024-04-01"), 20.0, 20 / 45 - 1, -25.0, 20 / 40 - 1, -20.0),
            (d("2024-05-01"), 50.0, 50 / 20 - 1, 30.0, None, 50.0),
            # June 2024: no sale. 0 / 50 - 1 = -1; a year ago 0 too: 0 / 0 -> null; deltas -50 and 0
            (d("2024-06-01"), 0.0, -1.0, -50.0, None, 0.0),
            # July: the prior month is 0 -> null; July 2023 is 0 -> null
            (d("2024-07-01"), 30.0, None, 30.0, None, 30.0),
        ],
    )


def test_quarter(project: SoundProject) -> None:
    table = project.query(METRICS, grain="quarter", start=d("2024-01-01"), end=d("2024-06-30"))
    assert_table(
        table,
        ["period", *METRICS],
        [
            # Q1 2024: 15 + 25 + 45 = 85; Q4 2023: 12; Q1 2023: 10 + 20 = 30
            (d("2024-01-01"), 85.0, 85 / 12 - 1, 73.0, 85 / 30 - 1, 55.0),
            # Q2 2024: 20 + 50 = 70; Q1 2024: 85; Q2 2023: 40
            (d("2024-04-01"), 70.0, 70 / 85 - 1, -15.0, 70 / 40 - 1, 30.0),
        ],
    )


WEEK_SALES = [
    {"sale_date": d("2022-12-27"), "amount": 7.0},  # week of Mon 2022-12-26
    {"sale_date": d("2023-01-02"), "amount": 100.0},  # week of Mon 2023-01-02 (ISO week 1 of 2023)
    {"sale_date": d("2023-12-26"), "amount": 9.0},  # week of Mon 2023-12-25
    {"sale_date": d("2024-01-03"), "amount": 14.0},  # week of Mon 2024-01-01 (ISO week 1 of 2024)
    {"sale_date": d("2024-12-31"), "amount": 3.0},  # week of Mon 2024-12-30 (ISO week 1 of 2025)
]


def test_year_offset_at_week_grain_truncates_the_shifted_start(make_project: MakeProject) -> None:
    project = make_project({"sales": WEEK_SALES}, MODELS)
    # whole weeks: Monday to Sunday (an end on the Monday would read only that day of the week)
    first = project.query(["revenue", "yoy_delta"], grain="week", start=d("2024-01-01"), end=d("2024-01-07"))
    # 2024-01-01 minus one year = Sunday 2023-01-01 -> week of 2022-12-26: 7 -> 14 - 7
    # (same ISO week number, or 52 weeks earlier: week of 2023-01-02 -> 14 - 100 = -86)
    assert_table(first, ["period", "revenue", "yoy_delta"], [(d("2024-01-01"), 14.0, 7.0)])
    last = project.query(["revenue", "yoy_delta"], grain="week", start=d("2024-12-30"), end=d("2025-01-05"))
    # 2024-12-30 minus one year = Saturday 2023-12-30 -> week of 2023-12-25: 9 -> 3 - 9
    # (same ISO week number 1, or 52 weeks earlier: week of 2024-01-01 -> 3 - 14 = -11)
    assert_table(last, ["period", "revenue", "yoy_delta"], [(d("2024-12-30"), 3.0, -6.0)])

"""Without ``start``/``end`` the range is the data's own: the periods holding the first and last rows are in it.

The data here starts on 2024-01-20. Reading "a period is in the result when its
first day is within [min(time), max(time)]" literally drops January (its first
day, 2024-01-01, is before 2024-01-20), so a monthly query without a start
silently loses the first month's rows, and a yearly one returns no row at all,
while the same query without a grain counts them. The periods must add up to
the total.
"""

from __future__ import annotations

import datetime as dt

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

SALES = [
    {"sale_date": d("2024-01-20"), "amount": 10.0},  # a Saturday
    {"sale_date": d("2024-02-10"), "amount": 20.0},
    {"sale_date": d("2024-03-05"), "amount": 30.0},
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
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"sales": SALES}, MODELS, calendar={"fiscal_year_start": 4})


def test_total_without_range(project: SoundProject) -> None:
    assert_table(project.query(["revenue"]), ["revenue"], [(60.0,)])  # 10 + 20 + 30


def test_months_without_range(project: SoundProject) -> None:
    table = project.query(["revenue"], grain="month")
    # dropping January would give [(Feb, 20), (Mar, 30)]: 50, not the total of 60
    assert_table(
        table, ["period", "revenue"], [(d("2024-01-01"), 10.0), (d("2024-02-01"), 20.0), (d("2024-03-01"), 30.0)]
    )


@pytest.mark.parametrize(
    ("grain", "first_period"),
    [
        ("week", d("2024-01-15")),
        ("quarter", d("2024-01-01")),
        ("year", d("2024-01-01")),
        ("fiscal_year", d("2023-04-01")),
    ],
)
def test_first_period_holds_the_first_row(project: SoundProject, grain: str, first_period: dt.date) -> None:
    table = project.query(["revenue"], grain=grain)
    periods = table.column("period").to_pylist()
    assert periods[:1] == [first_period]  # the period of 2024-01-20
    assert sum(table.column("revenue").to_pylist()) == pytest.approx(60.0, rel=1e-12)

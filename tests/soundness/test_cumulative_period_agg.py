"""Cumulative metrics with ``period_agg: first``: a period's value as of its first day.

MetricFlow's default (``period_agg: first``): at a grain coarser than a day, each period
gets the window's value as of the period's first day. Each day carries a distinct power
of two, so every sum tells which days it covered; expected values are worked out by hand
and by SQL over the rows.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d
from .test_cumulative import SALES

MODELS = """
datasets:
  - name: sales
    table: sales
    time: sale_date
    dimensions:
      - {name: sale_date, column: sale_date, type: time}
    measures:
      - {name: amount, agg: sum, expr: amount}
      - {name: sales_count, agg: count}
      - {name: days_sold, agg: count_distinct, expr: sale_date}
metrics:
  - {name: revenue, measure: sales.amount}
  - {name: sales, measure: sales.sales_count}
  - {name: days_sold, measure: sales.days_sold}
  - {name: revenue_7d, type: cumulative, metric: revenue, window: 7 days, period_agg: first}
  - {name: revenue_1m, type: cumulative, metric: revenue, window: 1 month, period_agg: first}
  - {name: revenue_mtd, type: cumulative, metric: revenue, grain_to_date: month, period_agg: first}
  - {name: revenue_running, type: cumulative, metric: revenue, period_agg: first}
  - {name: sales_running, type: cumulative, metric: sales, period_agg: first}
  - {name: days_sold_running, type: cumulative, metric: days_sold, period_agg: first}
  - {name: revenue_running_last, type: cumulative, metric: revenue}  # period_agg: last, the default
"""

METRICS = ["revenue_7d", "revenue_1m", "revenue_mtd", "revenue_running", "sales_running", "days_sold_running"]


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"sales": SALES}, MODELS)


def test_month_grain_takes_the_first_day_of_each_month(project: SoundProject) -> None:
    table = project.query(METRICS, grain="month", start=d("2024-01-01"), end=d("2024-03-31"))
    assert_table(
        table,
        ["period", *METRICS],
        [
            # as of Jan 1: every window holds Jan 1 only (1); one sale, one day
            (d("2024-01-01"), 1.0, 1.0, 1.0, 1.0, 1, 1),
            # as of Feb 1. 7d: Jan 26..Feb 1 = 8 + 16; 1 month: Jan 2..Feb 1 = 2 + 4 + 8 + 16;
            # February to date: 16; since the start: 31 (as of Feb 29: 127); 5 sales on 5 days
            (d("2024-02-01"), 24.0, 30.0, 16.0, 31.0, 5, 5),
            # as of Mar 1: 7d Feb 24..Mar 1 = 0; 1 month: Feb 2..Mar 1 = 32 + 64; March to date: nothing
            # yet; since the start: 127; 7 sales on 7 days
            (d("2024-03-01"), 0.0, 96.0, 0.0, 127.0, 7, 7),
        ],
    )
    expected = project.reference(
        """
        select m::date,
          (select coalesce(sum(amount), 0)::double from sales where sale_date between m::date - 6 and m::date),
          (select coalesce(sum(amount), 0)::double from sales
             where sale_date > (m - interval 1 month)::date and sale_date <= m::date),
          (select coalesce(sum(amount), 0)::double from sales where sale_date = m::date),
          (select coalesce(sum(amount), 0)::double from sales where sale_date <= m::date),
          (select count(*) from sales where sale_date <= m::date),
          (select count(distinct sale_date) from sales where sale_date <= m::date)
        from range(date '2024-01-01', date '2024-04-01', interval 1 month) t(m) order by 1
        """
    )
    assert_table(table, ["period", *METRICS], expected)


def test_week_grain_takes_the_monday(project: SoundProject) -> None:
    table = project.query(["revenue_mtd", "revenue_running"], grain="week", start=d("2024-01-29"), end=d("2024-02-11"))
    assert_table(
        table,
        ["period", "revenue_mtd", "revenue_running"],
        [
            (d("2024-01-29"), 7.0, 7.0),  # as of Mon Jan 29: January so far 1 + 2 + 4 (as of Sun Feb 4: 48, 63)
            (d("2024-02-05"), 48.0, 63.0),  # as of Mon Feb 5: 16 + 32; since the start 63
        ],
    )


def test_day_grain_is_the_same_either_way(project: SoundProject) -> None:
    table = project.query(
        ["revenue_running", "revenue_running_last"], grain="day", start=d("2024-01-30"), end=d("2024-02-02")
    )
    rows = table.to_pylist()
    assert [r["revenue_running"] for r in rows] == [7.0, 15.0, 31.0, 31.0]
    assert all(r["revenue_running"] == r["revenue_running_last"] for r in rows)


def test_last_is_the_default(project: SoundProject) -> None:
    table = project.query(["revenue_running_last"], grain="month", start=d("2024-01-01"), end=d("2024-02-29"))
    assert_table(table, ["period", "revenue_running_last"], [(d("2024-01-01"), 15.0), (d("2024-02-01"), 127.0)])


def test_a_period_before_the_first_day_with_data_is_taken_as_of_that_day(make_project: MakeProject) -> None:
    # the data starts on Jan 5: January is taken as of Jan 5 (as of Jan 1 every window is empty),
    # as `last` takes a period in progress as of the last day with data
    project = make_project({"sales": SALES[1:]}, MODELS)
    table = project.query(["revenue_running", "revenue_mtd", "sales_running"], grain="month",
                          start=d("2024-01-01"), end=d("2024-02-29"))  # fmt: skip
    assert_table(
        table,
        ["period", "revenue_running", "revenue_mtd", "sales_running"],
        [(d("2024-01-01"), 2.0, 2.0, 1), (d("2024-02-01"), 30.0, 16.0, 4)],
    )

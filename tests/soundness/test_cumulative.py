"""Cumulative metrics: windows read before the range start, and coarser grains take the period's end.

At a grain coarser than a day, a cumulative metric is its value as of the last
day of the period (or the dataset's last day with data, if earlier); not the
first day's value, not the sum of the daily values. Each day carries a distinct
power of two, so every sum tells which days it covered.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

SALES = [
    {"sale_date": d("2024-01-01"), "amount": 1},
    {"sale_date": d("2024-01-05"), "amount": 2},
    {"sale_date": d("2024-01-10"), "amount": 4},
    {"sale_date": d("2024-01-31"), "amount": 8},
    {"sale_date": d("2024-02-01"), "amount": 16},
    {"sale_date": d("2024-02-03"), "amount": 32},  # a Saturday
    {"sale_date": d("2024-02-10"), "amount": 64},
    {"sale_date": d("2024-03-02"), "amount": 128},
    {"sale_date": d("2024-03-20"), "amount": 256},  # the last day with data
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
      - {name: sales_count, agg: count}
metrics:
  - {name: revenue, measure: sales.amount}
  - {name: sales, measure: sales.sales_count}
  - {name: revenue_7d, type: cumulative, metric: revenue, window: 7 days}
  - {name: revenue_28d, type: cumulative, metric: revenue, window: 28 days}
  - {name: revenue_mtd, type: cumulative, metric: revenue, grain_to_date: month}
  - {name: revenue_running, type: cumulative, metric: revenue}
  - {name: sales_running, type: cumulative, metric: sales}
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"sales": SALES}, MODELS)


def test_trailing_7_days_at_day_grain_reads_before_start(project: SoundProject) -> None:
    table = project.query(["revenue_7d"], grain="day", start=d("2024-02-03"), end=d("2024-02-10"))
    assert_table(
        table,
        ["period", "revenue_7d"],
        [
            (d("2024-02-03"), 56.0),  # Jan 28 .. Feb 3: 8 + 16 + 32 (cut at the range start: 32)
            (d("2024-02-04"), 56.0),  # Jan 29 .. Feb 4
            (d("2024-02-05"), 56.0),  # Jan 30 .. Feb 5
            (d("2024-02-06"), 56.0),  # Jan 31 .. Feb 6
            (d("2024-02-07"), 48.0),  # Feb 1 .. Feb 7: 16 + 32
            (d("2024-02-08"), 32.0),  # Feb 2 .. Feb 8
            (d("2024-02-09"), 32.0),  # Feb 3 .. Feb 9
            (d("2024-02-10"), 64.0),  # Feb 4 .. Feb 10
        ],
    )
    expected = project.reference(
        """
        select day::date, (select coalesce(sum(amount), 0)::double from sales
                           where sale_date between day::date - 6 and day::date)
        from range(date '2024-02-03', date '2024-02-11', interval 1 day) t(day) order by 1
        """
    )
    assert_table(table, ["period", "revenue_7d"], expected)


def test_windows_at_month_grain_take_the_end_of_the_month(project: SoundProject) -> None:
    metrics = ["revenue", "revenue_7d", "revenue_28d", "revenue_mtd", "revenue_running", "sales_running"]
    table = project.query(metrics, grain="month", start=d("2024-01-01"), end=d("2024-03-31"))
    assert_table(
        table,
        ["period", *metrics],
        [
            # as of Jan 31. 7d: Jan 25..31 = 8 (value of the first day, Jan 1: 1; sum of daily values: much more);
            # 28d: Jan 4..31 = 2 + 4 + 8 = 14 (the month's sum: 15); mtd 15; running 15; 4 sales so far
            (d("2024-01-01"), 15.0, 8.0, 14.0, 15.0, 15.0, 4),
            # as of Feb 29. 7d: Feb 23..29 = 0 (first day, Feb 1: Jan 26..Feb 1 = 24); 28d: Feb 2..29 = 32 + 64
            # (month sum: 112); mtd 16 + 32 + 64 = 112; running 15 + 112 = 127; 7 sales
            (d("2024-02-01"), 112.0, 0.0, 96.0, 112.0, 127.0, 7),
            # as of Mar 20, the last day with data (as of Mar 31 the 7-day window would be 0).
            # 7d: Mar 14..20 = 256; 28d: Feb 22..Mar 20 = 128 + 256; mtd 384; running 127 + 384 = 511; 9 sales
            (d("2024-03-01"), 384.0, 256.0, 384.0, 384.0, 511.0, 9),
        ],
    )


def test_running_total_reads_before_start(project: SoundProject) -> None:
    by_month = project.query(["revenue_running"], grain="month", start=d("2024-02-01"), end=d("2024-03-31"))
    # from the start of the data, not of the range (cut at the range start: 112 and 496)
    assert_table(by_month, ["period", "revenue_running"], [(d("2024-02-01"), 127.0), (d("2024-03-01"), 511.0)])
    by_day = project.query(["revenue_running"], grain="day", start=d("2024-02-02"), end=d("2024-02-03"))
    # 1 + 2 + 4 + 8 + 16 = 31, then + 32 (cut at the range start: 0 and 32)
    assert_table(by_day, ["period", "revenue_running"], [(d("2024-02-02"), 31.0), (d("2024-02-03"), 63.0)])


def test_month_to_date_at_day_grain(project: SoundProject) -> None:
    table = project.query(["revenue_mtd"], grain="day", start=d("2024-01-30"), end=d("2024-02-03"))
    assert_table(
        table,
        ["period", "revenue_mtd"],
        [
            (d("2024-01-30"), 7.0),  # Jan 1..30: 1 + 2 + 4 (cut at the range start: 0)
            (d("2024-01-31"), 15.0),
            (d("2024-02-01"), 16.0),  # restarts on the 1st (without the restart: 31)
            (d("2024-02-02"), 16.0),
            (d("2024-02-03"), 48.0),
        ],
    )


def test_month_to_date_at_week_grain(project: SoundProject) -> None:
    table = project.query(["revenue_mtd"], grain="week", start=d("2024-01-29"), end=d("2024-02-12"))
    assert_table(
        table,
        ["period", "revenue_mtd"],
        [
            # week Mon Jan 29 .. Sun Feb 4, as of Feb 4: February so far = 16 + 32
            # (as of the first day, Jan 29: 7; the week's sum: 8 + 16 + 32 = 56)
            (d("2024-01-29"), 48.0),
            (d("2024-02-05"), 112.0),  # as of Feb 11: 16 + 32 + 64
            (d("2024-02-12"), 112.0),  # as of Feb 18: nothing new since the 10th
        ],
    )


def test_year_grain(project: SoundProject) -> None:
    metrics = ["revenue_7d", "revenue_28d", "revenue_mtd", "revenue_running"]
    table = project.query(metrics, grain="year")
    # as of 2024-03-20 (last day with data, before Dec 31): 7d 256; 28d 128 + 256; March to date 384; all 511
    assert_table(table, ["period", *metrics], [(d("2024-01-01"), 256.0, 384.0, 384.0, 511.0)])

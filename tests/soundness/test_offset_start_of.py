"""Offsets to the start of a period (``offset: start of month``, MetricFlow's ``offset_to_grain``).

Each period reads the value of the period that holds the first day of its month (quarter,
year...): at day grain, the 1st's value; at month grain the month itself. Days carry
distinct powers of two, so each value tells which day it came from. Expected values by
hand and by SQL over the rows.
"""

from __future__ import annotations

import pytest

from onpace.errors import QueryError

from .helpers import MakeProject, SoundProject, assert_table, d

SALES = [
    {"sale_date": d("2024-01-01"), "amount": 1.0, "channel": "web"},
    {"sale_date": d("2024-01-02"), "amount": 2.0, "channel": "shop"},
    {"sale_date": d("2024-02-01"), "amount": 4.0, "channel": "shop"},
    {"sale_date": d("2024-02-03"), "amount": 8.0, "channel": "web"},
    {"sale_date": d("2024-03-02"), "amount": 16.0, "channel": "web"},  # nothing on March 1
    {"sale_date": d("2024-04-01"), "amount": 32.0, "channel": "web"},
    {"sale_date": d("2024-05-15"), "amount": 64.0, "channel": "web"},
]

MODELS = """
datasets:
  - name: sales
    table: sales
    time: sale_date
    dimensions:
      - {name: sale_date, column: sale_date, type: time}
      - {name: channel, column: channel}
    measures:
      - {name: amount, agg: sum, expr: amount}
metrics:
  - {name: revenue, measure: sales.amount}
  - name: since_month_start
    type: derived
    expr: revenue - at_start
    inputs:
      - {metric: revenue}
      - {metric: revenue, alias: at_start, offset: start of month}
  - name: month_start_revenue
    type: derived
    expr: at_start
    inputs:
      - {metric: revenue, alias: at_start, offset: start of month}
  - name: quarter_start_revenue
    type: derived
    expr: at_start
    inputs:
      - {metric: revenue, alias: at_start, offset: start of quarter}
  - name: week_start_revenue
    type: derived
    expr: at_start
    inputs:
      - {metric: revenue, alias: at_start, offset: start of week}
"""


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"sales": SALES}, MODELS)


def test_day_grain_reads_the_first_of_the_month_even_before_start(project: SoundProject) -> None:
    table = project.query(["revenue", "month_start_revenue", "since_month_start"], grain="day",
                          start=d("2024-02-02"), end=d("2024-02-03"))  # fmt: skip
    # the range starts on Feb 2: Feb 1 (4) is read before it
    assert_table(
        table,
        ["period", "revenue", "month_start_revenue", "since_month_start"],
        [(d("2024-02-02"), 0.0, 4.0, -4.0), (d("2024-02-03"), 8.0, 4.0, 4.0)],
    )


def test_day_grain_against_sql(project: SoundProject) -> None:
    metrics = ["month_start_revenue", "quarter_start_revenue", "week_start_revenue"]
    table = project.query(metrics, grain="day", start=d("2024-01-01"), end=d("2024-05-31"))
    expected = project.reference(
        """
        select day::date,
          (select coalesce(sum(amount), 0)::double from sales where sale_date = date_trunc('month', day)::date),
          (select coalesce(sum(amount), 0)::double from sales where sale_date = date_trunc('quarter', day)::date),
          (select coalesce(sum(amount), 0)::double from sales where sale_date = date_trunc('week', day)::date)
        from range(date '2024-01-01', date '2024-06-01', interval 1 day) t(day) order by 1
        """
    )
    assert_table(table, ["period", *metrics], expected)
    rows = {r["period"]: r for r in table.to_pylist()}
    assert rows[d("2024-03-20")]["month_start_revenue"] == 0.0  # nothing on March 1
    assert rows[d("2024-04-30")]["month_start_revenue"] == 32.0
    assert rows[d("2024-02-29")]["quarter_start_revenue"] == 1.0  # January 1


def test_month_grain_the_month_is_its_own_start_and_a_quarter_start_is_its_first_month(
    project: SoundProject,
) -> None:
    metrics = ["revenue", "month_start_revenue", "since_month_start", "quarter_start_revenue"]
    table = project.query(metrics, grain="month", start=d("2024-01-01"), end=d("2024-05-31"))
    assert_table(
        table,
        ["period", *metrics],
        [
            (d("2024-01-01"), 3.0, 3.0, 0.0, 3.0),
            (d("2024-02-01"), 12.0, 12.0, 0.0, 3.0),  # the quarter's first month: January
            (d("2024-03-01"), 16.0, 16.0, 0.0, 3.0),
            (d("2024-04-01"), 32.0, 32.0, 0.0, 32.0),
            (d("2024-05-01"), 64.0, 64.0, 0.0, 32.0),
        ],
    )


def test_by_a_dimension_each_value_reads_its_own_start(project: SoundProject) -> None:
    table = project.query(["since_month_start"], grain="day", dimensions=["channel"],
                          start=d("2024-02-01"), end=d("2024-02-03"))  # fmt: skip
    rows = {(r["period"], r["channel"]): r["since_month_start"] for r in table.to_pylist()}
    # Feb 1: shop 4, web nothing; Feb 3: web 8
    assert rows[(d("2024-02-03"), "shop")] == -4.0  # 0 on the day, 4 on the 1st
    assert rows[(d("2024-02-03"), "web")] == 8.0  # 8 on the day, 0 on the 1st
    assert rows[(d("2024-02-01"), "shop")] == 0.0


def test_a_grain_not_within_the_start_period_is_refused(project: SoundProject) -> None:
    with pytest.raises(QueryError, match="offset 'start of month' at grain week"):
        project.query(["month_start_revenue"], grain="week", start=d("2024-01-01"), end=d("2024-02-29"))
    with pytest.raises(QueryError, match="offset 'start of week' at grain month"):
        project.query(["week_start_revenue"], grain="month", start=d("2024-01-01"), end=d("2024-02-29"))


def test_a_partial_first_month_reads_itself_as_cut(project: SoundProject) -> None:
    # from Jan 15: January is 0 (its sales are on the 1st and 2nd), and reads itself as cut: 0 - 0;
    # February's quarter start is the whole of January (3), read before the range as offsets are
    table = project.query(["since_month_start", "quarter_start_revenue"], grain="month", start=d("2024-01-15"),
                          end=d("2024-03-31"))  # fmt: skip
    assert_table(
        table,
        ["period", "since_month_start", "quarter_start_revenue"],
        [(d("2024-01-01"), 0.0, 0.0), (d("2024-02-01"), 0.0, 3.0), (d("2024-03-01"), 0.0, 3.0)],
    )

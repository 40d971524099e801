"""``empty_periods: null`` (issue 14): a period with no rows is null instead of 0, per metric.

By default a sum or a count is 0 in a period (x dimension combination) with no rows, and an
offset that lands on such a period, or before the first row of data, reads 0: ``orders_change``
(orders minus the orders of the period before) of the first month is its own orders, and
``revenue_mom`` (revenue / revenue of the period before - 1) is -1 for an empty month. With
``empty_periods: null`` the empty period is null, and so is everything computed from it (SQL's
null propagation: ``null - 2`` and ``null / 10`` are null). A cumulative metric with
``empty_periods: null`` is null where its window holds no rows.

The rows (day, channel, amount), every expected number worked out by hand in the comments:

    2024-01-10 web 10    2024-01-20 store 5    (February: nothing)
    2024-03-05 web 7     2024-03-06 web 3      (March: no store row)
    2024-04-02 store 4   2024-04-15 web 8

    month    orders  revenue   store orders/revenue   web orders/revenue
    2024-01  2       15        1 / 5                  1 / 10
    2024-02  0       0         -                      -
    2024-03  2       10        -                      2 / 10
    2024-04  2       12        1 / 4                  1 / 8

Tables are named ``h_fill_<random>`` in each backend.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.errors import DefinitionError

from .helpers import assert_table, backend_fixtures, create_table_sql, d

ROWS: list[tuple[dt.date, str, int]] = [
    (d("2024-01-10"), "web", 10),
    (d("2024-01-20"), "store", 5),
    (d("2024-03-05"), "web", 7),
    (d("2024-03-06"), "web", 3),
    (d("2024-04-02"), "store", 4),
    (d("2024-04-15"), "web", 8),
]

COLUMN_TYPES = {
    "duckdb": ("DATE", "VARCHAR", "INTEGER"),
    "postgres": ("DATE", "VARCHAR(16)", "INTEGER"),
    "mysql": ("DATE", "VARCHAR(16)", "INT"),
}
COLUMNS = ("d", "channel", "amount")
SPARK_SCHEMA = "d DATE, channel STRING, amount INT"

MODELS = """
datasets:
  - name: orders
    table: {table}
    time: day
    dimensions:
      - {{name: day, column: d, type: time}}
      - {{name: channel, column: channel}}
    measures:
      - {{name: order_count, agg: count}}
      - {{name: amount, agg: sum, expr: amount}}
metrics:
  - {{name: orders, measure: orders.order_count}}
  # unquoted, YAML reads null as no value: it means empty_periods null all the same
  - {{name: orders_or_null, measure: orders.order_count, empty_periods: null}}
  - {{name: revenue, measure: orders.amount}}
  - {{name: revenue_or_null, measure: orders.amount, empty_periods: "null"}}
  - {{name: revenue_zero, measure: orders.amount, empty_periods: zero}}
  - {{name: channels_or_null, dataset: orders, agg: count_distinct, expr: channel, empty_periods: "null"}}
  - {{name: web_orders_or_null, measure: orders.order_count, filter: "channel = 'web'", empty_periods: "null"}}
  - {{name: avg_amount, dataset: orders, agg: avg, expr: amount}}
  - {{name: avg_amount_or_null, dataset: orders, agg: avg, expr: amount, empty_periods: "null"}}
  - name: orders_change
    type: derived
    expr: orders - previous_orders
    inputs:
      - {{metric: orders, alias: previous_orders, offset: 1 period}}
  - name: orders_change_or_null
    type: derived
    expr: orders_or_null - previous_orders
    inputs:
      - {{metric: orders_or_null, alias: previous_orders, offset: 1 period}}
  - name: revenue_mom
    type: derived
    expr: revenue / previous_revenue - 1
    inputs:
      - {{metric: revenue, alias: previous_revenue, offset: 1 period}}
  - name: revenue_mom_or_null
    type: derived
    expr: revenue_or_null / previous_revenue - 1
    inputs:
      - {{metric: revenue_or_null, alias: previous_revenue, offset: 1 period}}
  - name: orders_change_coalesced
    type: derived
    expr: coalesce(orders_or_null, 0) - coalesce(previous_orders, 0)
    inputs:
      - {{metric: orders_or_null, alias: previous_orders, offset: 1 period}}
  - name: revenue_high
    type: derived
    expr: greatest(revenue_or_null, previous_revenue)
    inputs:
      - {{metric: revenue_or_null, alias: previous_revenue, offset: 1 period}}
  - name: revenue_low
    type: derived
    expr: least(revenue_or_null, previous_revenue)
    inputs:
      - {{metric: revenue_or_null, alias: previous_revenue, offset: 1 period}}
  - name: revenue_per_order_or_null
    type: ratio
    numerator: revenue_or_null
    denominator: orders
  - {{name: revenue_7d, type: cumulative, metric: revenue, window: 7 days}}
  - {{name: revenue_7d_or_null, type: cumulative, metric: revenue, window: 7 days, empty_periods: null}}
  - {{name: revenue_running_or_null, type: cumulative, metric: revenue, empty_periods: "null"}}
  - {{name: orders_running_or_null, type: cumulative, metric: orders_or_null, empty_periods: "null"}}
  - {{name: orders_running, type: cumulative, metric: orders_or_null}}
"""


# the fixtures: loaded (the rows in a table of each backend, a project reading them) and engine
loaded, engine = backend_fixtures("fill", "h_fill", create_table_sql(COLUMNS, COLUMN_TYPES), ROWS, SPARK_SCHEMA, MODELS)


def _query(engine: Engine, metrics: list[str], **kwargs: Any) -> Any:
    return engine.query(Query(metrics=metrics, **kwargs))


JAN, FEB, MAR, APR = d("2024-01-01"), d("2024-02-01"), d("2024-03-01"), d("2024-04-01")


def test_an_empty_month_is_null_not_zero(engine: Engine) -> None:
    metrics = ["orders", "orders_or_null", "revenue", "revenue_or_null", "revenue_zero", "channels_or_null"]
    table = _query(engine, metrics, grain="month")
    assert_table(
        table,
        ["period", *metrics],
        [
            (JAN, 2, 2, 15.0, 15.0, 15.0, 2),
            (FEB, 0, None, 0.0, None, 0.0, None),  # no row in February
            (MAR, 2, 2, 10.0, 10.0, 10.0, 1),
            (APR, 2, 2, 12.0, 12.0, 12.0, 2),
        ],
    )


def test_a_metric_filter_that_keeps_no_row_is_null(engine: Engine) -> None:
    # web orders: January 1, February none, March 2, April 1; by channel, store never passes the filter
    table = _query(engine, ["web_orders_or_null"], grain="month")
    assert_table(table, ["period", "web_orders_or_null"], [(JAN, 1), (FEB, None), (MAR, 2), (APR, 1)])
    table = _query(engine, ["web_orders_or_null"], dimensions=["channel"], start=JAN, end=d("2024-04-30"))
    assert_table(table, ["channel", "web_orders_or_null"], [("store", None), ("web", 4)])


def test_other_aggregations_are_null_with_or_without_the_field(engine: Engine) -> None:
    # avg: January (10 + 5) / 2 = 7.5, February none, March (7 + 3) / 2 = 5, April (4 + 8) / 2 = 6
    table = _query(engine, ["avg_amount", "avg_amount_or_null"], grain="month")
    assert_table(
        table,
        ["period", "avg_amount", "avg_amount_or_null"],
        [(JAN, 7.5, 7.5), (FEB, None, None), (MAR, 5.0, 5.0), (APR, 6.0, 6.0)],
    )


def test_offsets_at_the_first_month_and_after_an_empty_month(engine: Engine) -> None:
    metrics = ["orders_change", "orders_change_or_null", "revenue_mom", "revenue_mom_or_null"]
    table = _query(engine, metrics, grain="month")
    assert_table(
        table,
        ["period", *metrics],
        [
            # December 2023 (before the data) counts as 0: 2 - 0 = 2; with null: 2 - null = null.
            # revenue_mom: 15 / 0 is a division by zero (null); with null: 15 / null, null
            (JAN, 2.0, None, None, None),
            # February is empty: 0 - 2 = -2 and 0 / 15 - 1 = -1; with null, null and null
            (FEB, -2.0, None, -1.0, None),
            # after the empty month: 2 - 0 = 2 and 10 / 0 (null); with null: 2 - null, 10 / null
            (MAR, 2.0, None, None, None),
            # 2 - 2 = 0, 12 / 10 - 1 = 0.2 either way
            (APR, 0.0, 0.0, 12 / 10 - 1, 12 / 10 - 1),
        ],
    )


def test_coalesce_in_the_expression_brings_zero_back(engine: Engine) -> None:
    # coalesce(orders, 0) - coalesce(previous, 0): 2 - 0, 0 - 2, 2 - 0, 2 - 2
    table = _query(engine, ["orders_change_coalesced"], grain="month")
    assert_table(table, ["period", "orders_change_coalesced"], [(JAN, 2.0), (FEB, -2.0), (MAR, 2.0), (APR, 0.0)])


def test_greatest_and_least_skip_a_null_input(engine: Engine) -> None:
    # greatest/least of this month's and last month's revenue, null months skipped (MySQL and
    # MariaDB would give null if any is): January 15 and null, February null and 15, March 10
    # and null, April 12 and 10
    table = _query(engine, ["revenue_high", "revenue_low"], grain="month")
    assert_table(
        table,
        ["period", "revenue_high", "revenue_low"],
        [(JAN, 15.0, 15.0), (FEB, 15.0, 15.0), (MAR, 10.0, 10.0), (APR, 12.0, 10.0)],
    )
    # by channel from February (the offset reads January, where store is seen): store 5 (null
    # and 5) in February; in March null this month and last month, so null; web 10 and 10
    table = _query(engine, ["revenue_high"], grain="month", dimensions=["channel"], start=FEB, end=d("2024-03-31"))
    assert_table(
        table,
        ["period", "channel", "revenue_high"],
        [(FEB, "store", 5.0), (FEB, "web", 10.0), (MAR, "store", None), (MAR, "web", 10.0)],
    )


def test_a_ratio_of_an_empty_period_is_null(engine: Engine) -> None:
    # revenue / orders: 15 / 2, February null / 0 (null), 10 / 2, 12 / 2
    table = _query(engine, ["revenue_per_order_or_null"], grain="month")
    assert_table(table, ["period", "revenue_per_order_or_null"], [(JAN, 7.5), (FEB, None), (MAR, 5.0), (APR, 6.0)])


def test_by_channel_a_combination_empty_in_one_month(engine: Engine) -> None:
    metrics = ["orders", "orders_or_null", "orders_change", "orders_change_or_null", "revenue_mom_or_null"]
    table = _query(engine, metrics, grain="month", dimensions=["channel"])
    assert_table(
        table,
        ["period", "channel", *metrics],
        [
            # before the data: store 1 - 0, web 1 - 0; with null: 1 - null
            (JAN, "store", 1, 1, 1.0, None, None),
            (JAN, "web", 1, 1, 1.0, None, None),
            # February: no row of either channel: 0 - 1; with null: null
            (FEB, "store", 0, None, -1.0, None, None),
            (FEB, "web", 0, None, -1.0, None, None),
            # March: store is seen in the range (January, April) but has no March row
            (MAR, "store", 0, None, 0.0, None, None),
            (MAR, "web", 2, 2, 2.0, None, None),
            # April: store 1 - 0 = 1, with null 1 - null; web 1 - 2 = -1, 8 / 10 - 1 = -0.2
            (APR, "store", 1, 1, 1.0, None, None),
            (APR, "web", 1, 1, -1.0, -1.0, 8 / 10 - 1),
        ],
    )


def test_a_trailing_window_with_no_rows_is_null(engine: Engine) -> None:
    table = _query(
        engine, ["revenue_7d", "revenue_7d_or_null"], grain="day", start=d("2024-03-05"), end=d("2024-03-14")
    )
    # the 7 days ending on each day: 03-05 holds 7; 03-06 to 03-11 hold 7 + 3; 03-12 holds 3 (03-06);
    # 03-13 and 03-14 hold nothing (03-07 .. 03-14)
    expected = [(d("2024-03-05"), 7.0, 7.0)]
    expected += [(dt.date(2024, 3, day), 10.0, 10.0) for day in range(6, 12)]
    expected += [(d("2024-03-12"), 3.0, 3.0), (d("2024-03-13"), 0.0, None), (d("2024-03-14"), 0.0, None)]
    assert_table(table, ["period", "revenue_7d", "revenue_7d_or_null"], expected)


def test_a_running_total_by_channel_is_null_before_the_channels_first_row(engine: Engine) -> None:
    metrics = ["revenue_running_or_null", "orders_running_or_null", "orders_running"]
    table = _query(engine, metrics, grain="day", dimensions=["channel"], start=d("2024-01-18"), end=d("2024-01-21"))
    # store's first row is on 2024-01-20 (5), web's on 2024-01-10 (10). orders_running has the
    # default empty_periods (zero): 0 before store's first row, whatever its input metric says
    assert_table(
        table,
        ["period", "channel", *metrics],
        [
            (d("2024-01-18"), "store", None, None, 0),
            (d("2024-01-18"), "web", 10.0, 1, 1),
            (d("2024-01-19"), "store", None, None, 0),
            (d("2024-01-19"), "web", 10.0, 1, 1),
            (d("2024-01-20"), "store", 5.0, 1, 1),
            (d("2024-01-20"), "web", 10.0, 1, 1),
            (d("2024-01-21"), "store", 5.0, 1, 1),
            (d("2024-01-21"), "web", 10.0, 1, 1),
        ],
    )


def test_a_running_total_at_month_grain(engine: Engine) -> None:
    # as of each month's last day (April: 2024-04-15, the last day with data)
    table = _query(engine, ["revenue_running_or_null"], grain="month", dimensions=["channel"])
    assert_table(
        table,
        ["period", "channel", "revenue_running_or_null"],
        [
            (JAN, "store", 5.0),
            (JAN, "web", 10.0),
            (FEB, "store", 5.0),
            (FEB, "web", 10.0),
            (MAR, "store", 5.0),
            (MAR, "web", 20.0),
            (APR, "store", 9.0),
            (APR, "web", 28.0),
        ],
    )


# -- validation: no backend needed ---------------------------------------------------------------


def _load(tmp_path: Path, metrics: str) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "onpace.yml").write_text("name: fill\n")
    models = """
datasets:
  - name: orders
    table: orders
    time: day
    dimensions:
      - {name: day, column: d, type: time}
    measures:
      - {name: order_count, agg: count}
      - {name: avg_amount, agg: avg, expr: amount}
metrics:
  - {name: orders, measure: orders.order_count}
"""
    (tmp_path / "models" / "models.yml").write_text(models + metrics)
    load_project(tmp_path, env={})


def _problems(tmp_path: Path, metrics: str) -> str:
    with pytest.raises(DefinitionError) as caught:
        _load(tmp_path, metrics)
    return str(caught.value)


@pytest.mark.parametrize("agg", ["avg", "min", "max", "median"])
def test_zero_on_an_aggregation_that_is_null_when_empty_is_refused(tmp_path: Path, agg: str) -> None:
    text = _problems(tmp_path, f"  - {{name: m, dataset: orders, agg: {agg}, expr: amount, empty_periods: zero}}\n")
    assert f"'empty_periods: zero' does not apply to agg '{agg}': the {agg} of no rows is not 0" in text


def test_zero_on_a_percentile_is_refused(tmp_path: Path) -> None:
    metric = "  - {name: m, dataset: orders, agg: percentile, expr: amount, percentile: 0.9, empty_periods: zero}\n"
    assert "the percentile of no rows is not 0" in _problems(tmp_path, metric)


def test_zero_on_an_average_measure_is_refused(tmp_path: Path) -> None:
    text = _problems(tmp_path, "  - {name: m, measure: orders.avg_amount, empty_periods: zero}\n")
    assert "agg 'avg' (of measure 'orders.avg_amount'): the avg of no rows is not 0" in text
    assert "models/models.yml:13: metrics[1].empty_periods" in text  # the line of the metric


def test_null_on_any_aggregation_and_zero_on_a_count_are_accepted(tmp_path: Path) -> None:
    _load(
        tmp_path,
        "  - {name: a, measure: orders.avg_amount, empty_periods: 'null'}\n"
        "  - {name: b, measure: orders.order_count, empty_periods: zero}\n"
        "  - {name: c, dataset: orders, agg: count_distinct, expr: d, empty_periods: zero}\n"
        "  - {name: e, type: cumulative, metric: orders, empty_periods: 'null'}\n",
    )


@pytest.mark.parametrize(
    ("kind", "metric"),
    [
        ("ratio", "{name: m, type: ratio, numerator: orders, denominator: orders, empty_periods: 'null'}"),
        ("derived", "{name: m, type: derived, expr: orders * 2, empty_periods: 'null'}"),
    ],
)
def test_ratio_and_derived_have_no_field(tmp_path: Path, kind: str, metric: str) -> None:
    text = _problems(tmp_path, f"  - {metric}\n")
    assert f"a {kind} metric has no 'empty_periods'" in text
    assert "set empty_periods on the input metrics" in text


def test_an_unknown_value_is_refused(tmp_path: Path) -> None:
    text = _problems(tmp_path, "  - {name: m, measure: orders.order_count, empty_periods: none}\n")
    assert "invalid value 'none'" in text

"""A range at a grain coarser than the day: the periods it cuts are partial (issue 14).

The data a query reads for its result is exactly the days in ``[start, end]``. Every
period that overlaps the range is in the result, valued from its days inside the range
only, and marked partial when it is not wholly inside. ``--start 2024-01-15 --end
2024-03-10 --grain month`` gives January (15-31, partial), February (whole) and March
(1-10, partial): it used to drop January and return the whole of March.

- Without ``start`` the range starts on the first day of the period holding the first
  row; without ``end`` it ends on the last day with data (a month in progress is partial).
- Earlier periods read by offsets are read whole, the first period of the range too when
  a later period's offset reads it.
- A cumulative metric is taken as of the last day of the period, or of the range's end, or
  of the last day with data, whichever is first; its window is its own (a running total
  starts at the first row, month to date on the first of the month).
- Semi-additive ``last``/``first``/``avg`` pick among the snapshots inside the range.

Amounts are powers of two, so a sum tells which rows it holds. Every expected number is
worked out by hand in the comments; the same checks run on DuckDB, PostgreSQL, MariaDB
and Spark.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query, days_read, partial_periods

from .helpers import BACKENDS, assert_table, d, load_rows_into, write_project

SALES: list[tuple[dt.date, int]] = [
    (d("2023-12-10"), 100),  # December: before the ranges below, read by offsets
    (d("2024-01-05"), 1),  # 1 and 2: January before the 15th
    (d("2024-01-14"), 2),
    (d("2024-01-15"), 4),
    (d("2024-01-30"), 8),  # a Tuesday: the week of Monday 29 January
    (d("2024-01-31"), 16),  # a Wednesday
    (d("2024-02-10"), 32),  # a Saturday: the week of Monday 5 February
    (d("2024-02-11"), 64),  # its Sunday
    (d("2024-02-29"), 128),
    (d("2024-03-10"), 256),
    (d("2024-03-11"), 512),  # 512 and 1024: March after the 10th
    (d("2024-03-25"), 1024),  # the last day with data
]

STOCK: list[tuple[dt.date, str, int]] = [
    (d("2024-01-10"), "a", 5),
    (d("2024-01-20"), "a", 7),
    (d("2024-01-31"), "a", 9),
    (d("2024-02-29"), "a", 11),
    (d("2024-03-05"), "a", 13),
    (d("2024-03-20"), "a", 17),
]

MODELS = """
datasets:
  - name: sales
    table: {sales}
    time: day
    dimensions:
      - {{name: day, column: d, type: time}}
    measures:
      - {{name: amount, agg: sum, expr: amount}}
      - {{name: rows, agg: count}}
  - name: stock
    table: {stock}
    time: snap
    dimensions:
      - {{name: snap, column: d, type: time}}
      - {{name: item, column: item}}
    measures:
      - {{name: units, agg: sum, expr: units}}
metrics:
  - {{name: revenue, measure: sales.amount}}
  - {{name: orders, measure: sales.rows}}
  - {{name: revenue_running, type: cumulative, metric: revenue}}
  - {{name: revenue_mtd, type: cumulative, metric: revenue, grain_to_date: month}}
  - {{name: stock_last, type: semi_additive, measure: stock.units}}
  - {{name: stock_first, type: semi_additive, measure: stock.units, over_time: first}}
  - {{name: stock_avg, type: semi_additive, measure: stock.units, over_time: avg}}
  - name: revenue_lm
    type: derived
    expr: prev
    inputs:
      - {{metric: revenue, alias: prev, offset: 1 month}}
  - name: revenue_pp
    type: derived
    expr: prev
    inputs:
      - {{metric: revenue, alias: prev, offset: 1 period}}
  - name: revenue_change
    type: derived
    expr: revenue - prev
    inputs:
      - {{metric: revenue}}
      - {{metric: revenue, alias: prev, offset: 1 period}}
"""

TYPES = {
    "duckdb": ("DATE", "VARCHAR", "INTEGER"),
    "postgres": ("DATE", "VARCHAR(16)", "INTEGER"),
    "mysql": ("DATE", "VARCHAR(16)", "INT"),
}


def _sales_sql(dialect: str, table: str) -> str:
    date, _, integer = TYPES[dialect]
    return f"CREATE TABLE {table} (d {date}, amount {integer})"


def _stock_sql(dialect: str, table: str) -> str:
    date, text, integer = TYPES[dialect]
    return f"CREATE TABLE {table} (d {date}, item {text}, units {integer})"


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The rows in tables of each backend, and an engine on a project reading them."""
    backend: str = request.param
    root = tmp_path_factory.mktemp(f"partial-{backend}")
    suffix = uuid.uuid4().hex[:10]  # runs that overlap never share a table
    sales, stock = f"h_range_sales_{suffix}", f"h_range_stock_{suffix}"
    from pyspark.sql import types as T

    url, injected, cleanup = load_rows_into(
        backend,
        request,
        root,
        sales,
        _sales_sql,
        SALES,
        [T.StructField("d", T.DateType()), T.StructField("amount", T.IntegerType())],
    )
    _, more, more_cleanup = load_rows_into(
        backend,
        request,
        root,
        stock,
        _stock_sql,
        STOCK,
        [
            T.StructField("d", T.DateType()),
            T.StructField("item", T.StringType()),
            T.StructField("units", T.IntegerType()),
        ],
    )
    injected.update(more)
    try:
        write_project(root, "partial", url, MODELS.format(sales=sales, stock=stock))
        # Spark: the shared session, never disconnected
        with Engine(load_project(root, env={}), backends=injected) as made:
            yield made
    finally:
        for step in [*cleanup, *more_cleanup]:
            step()


def _query(engine: Engine, metrics: list[str], **kwargs: Any) -> Any:
    return engine.query(Query(metrics=metrics, **kwargs))


JAN, FEB, MAR = d("2024-01-01"), d("2024-02-01"), d("2024-03-01")


def test_months_cut_by_the_range_keep_their_days_inside_it(engine: Engine) -> None:
    table = _query(engine, ["revenue", "orders"], grain="month", start=d("2024-01-15"), end=d("2024-03-10"))
    assert_table(
        table,
        ["period", "revenue", "orders"],
        [
            (JAN, 28.0, 3),  # 15-31 January: 4 + 8 + 16 (1 and 2 are before the 15th)
            (FEB, 224.0, 3),  # the whole of February: 32 + 64 + 128
            (MAR, 256.0, 1),  # 1-10 March: 256 (512 and 1024 are after the 10th)
        ],
    )
    assert partial_periods(table) == [JAN, MAR]
    assert days_read(table) == (d("2024-01-15"), d("2024-03-10"))
    # the periods add up to the total over the same range
    total = _query(engine, ["revenue", "orders"], start=d("2024-01-15"), end=d("2024-03-10"))
    assert_table(total, ["revenue", "orders"], [(508.0, 7)])  # 28 + 224 + 256; 3 + 3 + 1
    assert partial_periods(total) == []
    assert days_read(total) == (d("2024-01-15"), d("2024-03-10"))


def test_a_range_inside_one_month(engine: Engine) -> None:
    table = _query(engine, ["revenue"], grain="month", start=d("2024-01-14"), end=d("2024-01-30"))
    assert_table(table, ["period", "revenue"], [(JAN, 14.0)])  # 2 + 4 + 8
    assert partial_periods(table) == [JAN]


def test_quarters(engine: Engine) -> None:
    table = _query(engine, ["revenue", "orders"], grain="quarter", start=d("2024-01-15"), end=d("2024-03-10"))
    assert_table(table, ["period", "revenue", "orders"], [(JAN, 508.0, 7)])  # 4 + 8 + ... + 256
    assert partial_periods(table) == [JAN]  # cut at both ends
    table = _query(engine, ["revenue", "orders"], grain="quarter", start=d("2023-11-15"), end=d("2024-03-10"))
    assert_table(
        table,
        ["period", "revenue", "orders"],
        [
            (d("2023-10-01"), 100.0, 1),  # 15 November - 31 December: 100
            (JAN, 511.0, 9),  # 1 January - 10 March: 1 + 2 + 4 + ... + 256
        ],
    )
    assert partial_periods(table) == [d("2023-10-01"), JAN]


def test_weeks(engine: Engine) -> None:
    # Wednesday 31 January to Saturday 10 February: both weeks are cut
    table = _query(engine, ["revenue", "orders"], grain="week", start=d("2024-01-31"), end=d("2024-02-10"))
    assert_table(
        table,
        ["period", "revenue", "orders"],
        [
            (d("2024-01-29"), 16.0, 1),  # 31 January - 4 February: 16 (8 is on the 30th)
            (d("2024-02-05"), 32.0, 1),  # 5-10 February: 32 (64 is on Sunday the 11th)
        ],
    )
    assert partial_periods(table) == [d("2024-01-29"), d("2024-02-05")]


def test_days_are_never_partial(engine: Engine) -> None:
    table = _query(engine, ["revenue"], grain="day", start=d("2024-01-14"), end=d("2024-01-16"))
    assert_table(table, ["period", "revenue"], [(d("2024-01-14"), 2.0), (d("2024-01-15"), 4.0), (d("2024-01-16"), 0)])
    assert partial_periods(table) == []


def test_a_range_on_period_boundaries_cuts_nothing(engine: Engine) -> None:
    table = _query(engine, ["revenue"], grain="month", start=d("2024-01-01"), end=d("2024-02-29"))
    assert_table(table, ["period", "revenue"], [(JAN, 31.0), (FEB, 224.0)])  # 1 + 2 + 4 + 8 + 16; 32 + 64 + 128
    assert partial_periods(table) == []
    table = _query(engine, ["revenue"], grain="quarter", start=d("2023-10-01"), end=d("2024-03-31"))
    assert_table(table, ["period", "revenue"], [(d("2023-10-01"), 100.0), (JAN, 2047.0)])  # 1 + ... + 1024
    assert partial_periods(table) == []


def test_without_an_end_a_month_in_progress_is_partial(engine: Engine) -> None:
    # the data ends on 25 March: the range is 1 February - 25 March
    table = _query(engine, ["revenue"], grain="month", start=d("2024-02-01"))
    assert_table(table, ["period", "revenue"], [(FEB, 224.0), (MAR, 1792.0)])  # 256 + 512 + 1024
    assert partial_periods(table) == [MAR]
    assert days_read(table) == (FEB, d("2024-03-25"))
    # without a start either, the first period (December, from the 1st) is whole
    table = _query(engine, ["revenue"], grain="month")
    assert table.column("period").to_pylist() == [d("2023-12-01"), JAN, FEB, MAR]
    assert table.column("revenue").to_pylist() == pytest.approx([100, 31, 224, 1792], rel=1e-12)
    assert partial_periods(table) == [MAR]
    assert days_read(table) == (d("2023-12-01"), d("2024-03-25"))
    # an end after the last day with data is the user's: March 1-31 is inside the range, not partial
    table = _query(engine, ["revenue"], grain="month", start=d("2024-02-01"), end=d("2024-03-31"))
    assert partial_periods(table) == []


def test_cumulative_as_of_the_end_of_a_cut_month(engine: Engine) -> None:
    table = _query(
        engine, ["revenue_running", "revenue_mtd"], grain="month", start=d("2024-01-15"), end=d("2024-03-10")
    )
    assert_table(
        table,
        ["period", "revenue_running", "revenue_mtd"],
        [
            # as of 31 January: everything since the first row, 100 + 1 + 2 + 4 + 8 + 16 = 131;
            # the month to date of 31 January is the whole month, 31 (its window is its own)
            (JAN, 131.0, 31.0),
            (FEB, 355.0, 224.0),  # 131 + 32 + 64 + 128; February to date: 224
            # as of 10 March (the range's end), not 25 March: 355 + 256 = 611; March to date: 256
            (MAR, 611.0, 256.0),
        ],
    )
    assert partial_periods(table) == [JAN, MAR]
    # without an end, as of the last day with data, 25 March: 611 + 512 + 1024 = 2147; March 1792
    table = _query(engine, ["revenue_running", "revenue_mtd"], grain="month", start=d("2024-03-01"))
    assert_table(table, ["period", "revenue_running", "revenue_mtd"], [(MAR, 2147.0, 1792.0)])
    assert partial_periods(table) == [MAR]


def test_semi_additive_picks_snapshots_inside_the_range(engine: Engine) -> None:
    metrics = ["stock_last", "stock_first", "stock_avg"]
    table = _query(engine, metrics, grain="month", start=d("2024-01-15"), end=d("2024-03-10"))
    assert_table(
        table,
        ["period", *metrics],
        [
            # 15-31 January holds the snapshots of the 20th (7) and the 31st (9), not the 10th (5)
            (JAN, 9.0, 7.0, 8.0),
            (FEB, 11.0, 11.0, 11.0),
            # 1-10 March holds only the snapshot of the 5th (13): the 20th (17) is after the range
            (MAR, 13.0, 13.0, 13.0),
        ],
    )
    assert partial_periods(table) == [JAN, MAR]


def test_offsets_read_earlier_periods_whole(engine: Engine) -> None:
    metrics = ["revenue", "revenue_lm", "revenue_pp", "revenue_change"]
    table = _query(engine, metrics, grain="month", start=d("2024-01-15"), end=d("2024-03-10"))
    assert_table(
        table,
        ["period", *metrics],
        [
            (JAN, 28.0, 100.0, 100.0, -72.0),  # December, before the range, whole: 100; 28 - 100
            # January read whole for February's offset: 1 + 2 + 4 + 8 + 16 = 31 (not the 28 of 15-31
            # January shown on January's row); 224 - 31
            (FEB, 224.0, 31.0, 31.0, 193.0),
            (MAR, 256.0, 224.0, 224.0, 32.0),  # February: 224; 256 - 224
        ],
    )
    assert partial_periods(table) == [JAN, MAR]
    # weeks: the week of 29 January is cut (from Wednesday the 31st); the next week's offset
    # reads it whole: 8 + 16 = 24
    table = _query(engine, ["revenue", "revenue_pp"], grain="week", start=d("2024-01-31"), end=d("2024-02-11"))
    assert_table(
        table,
        ["period", "revenue", "revenue_pp"],
        [(d("2024-01-29"), 16.0, 0.0), (d("2024-02-05"), 96.0, 24.0)],  # week of 22 January: no sales
    )
    assert partial_periods(table) == [d("2024-01-29")]

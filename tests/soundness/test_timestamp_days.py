"""A time dimension on a timestamp column is its date everywhere (issue 14).

``refund_date`` is the dataset's time, on the TIMESTAMP column ``refunded_at``. Day grain
groups the refunds by date, so ``refund_date = '2023-03-27'`` in a query's ``where`` or in a
metric's ``filter`` must count the same refunds (all of 27 March, not only the one at
midnight), and ``between``, ``>``, ``>=``, ``<=`` compare dates too. The same holds for any
dimension of ``type: time`` (``processed_date``). A categorical dimension on the same column
(``refund_time``) stays a timestamp: compared with a date it is compared with that day's
midnight. The date is the timestamp's as stored (no time zone conversion; Spark's session
time zone is UTC, so a timestamp reads as written).

The rows (amounts are powers of two, so a sum names the rows it holds):

    refund  refunded_at           processed_at          amount
    r1      2023-03-26 23:59:59   2023-03-27 08:00:00    1
    r2      2023-03-27 00:00:00   2023-03-27 12:00:00    2
    r3      2023-03-27 10:15:00   2023-03-28 09:00:00    4
    r4      2023-03-27 23:59:59   2023-03-28 00:00:00    8
    r5      2023-03-28 00:00:00   2023-03-29 17:30:00   16

Tables are named ``h_fill_<random>`` in each backend.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onpace.engine import Engine, Query

from .helpers import assert_table, backend_fixtures, create_table_sql, d


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


ROWS: list[tuple[dt.datetime, dt.datetime, int]] = [
    (ts("2023-03-26 23:59:59"), ts("2023-03-27 08:00:00"), 1),
    (ts("2023-03-27 00:00:00"), ts("2023-03-27 12:00:00"), 2),
    (ts("2023-03-27 10:15:00"), ts("2023-03-28 09:00:00"), 4),
    (ts("2023-03-27 23:59:59"), ts("2023-03-28 00:00:00"), 8),
    (ts("2023-03-28 00:00:00"), ts("2023-03-29 17:30:00"), 16),
]

COLUMN_TYPES = {
    "duckdb": ("TIMESTAMP", "TIMESTAMP", "INTEGER"),
    "postgres": ("TIMESTAMP", "TIMESTAMP", "INTEGER"),
    "mysql": ("DATETIME", "DATETIME", "INT"),
}
COLUMNS = ("refunded_at", "processed_at", "amount")
SPARK_SCHEMA = "refunded_at TIMESTAMP, processed_at TIMESTAMP, amount INT"

MODELS = """
datasets:
  - name: refunds
    table: {table}
    time: refund_date
    dimensions:
      - {{name: refund_date, column: refunded_at, type: time}}
      - {{name: processed_date, column: processed_at, type: time}}
      - {{name: refund_time, column: refunded_at}}
    measures:
      - {{name: refund_count, agg: count}}
      - {{name: amount, agg: sum, expr: amount}}
      - {{name: amount_on_27, agg: sum, expr: amount, filter: "refund_date = '2023-03-27'"}}
metrics:
  - {{name: refunds, measure: refunds.refund_count}}
  - {{name: refund_amount, measure: refunds.amount}}
  - {{name: refunds_on_27, measure: refunds.refund_count, filter: "refund_date = '2023-03-27'"}}
  - {{name: refunds_27_to_27, measure: refunds.refund_count, filter: "refund_date between '2023-03-27' and '2023-03-27'"}}
  - {{name: refunds_after_27, measure: refunds.refund_count, filter: "refund_date > '2023-03-27'"}}
  - {{name: refunds_processed_28, measure: refunds.refund_count, filter: "processed_date = '2023-03-28'"}}
  - {{name: amount_on_27, measure: refunds.amount_on_27}}
  - {{name: refunds_by_processing, measure: refunds.refund_count, time: processed_date}}
"""


# the fixtures: loaded (the rows in a table of each backend, a project reading them) and engine
loaded, engine = backend_fixtures(
    "timestamps", "h_fill", create_table_sql(COLUMNS, COLUMN_TYPES), ROWS, SPARK_SCHEMA, MODELS
)


def _query(engine: Engine, metrics: list[str], **kwargs: Any) -> Any:
    return engine.query(Query(metrics=metrics, **kwargs))


@pytest.mark.parametrize(
    ("where", "count", "amount"),
    [
        # r2, r3, r4 (as a timestamp, only r2 at midnight would match)
        ("refund_date = '2023-03-27'", 3, 2 + 4 + 8),
        ("refund_date between '2023-03-27' and '2023-03-27'", 3, 2 + 4 + 8),
        # r5 only
        ("refund_date >= '2023-03-28'", 1, 16),
        # r5 only (as a timestamp, r3 and r4 are after 2023-03-27 00:00 too)
        ("refund_date > '2023-03-27'", 1, 16),
        # r1 to r4 (as a timestamp, 23:59:59 on 27 March is after its midnight)
        ("refund_date <= '2023-03-27'", 4, 1 + 2 + 4 + 8),
        # r1 only
        ("refund_date < '2023-03-27'", 1, 1),
        ("refund_date in ('2023-03-26', '2023-03-28')", 2, 1 + 16),
        ("refund_date != '2023-03-27'", 2, 1 + 16),
        # processed on 28 March: r3 (09:00) and r4 (00:00)
        ("processed_date = '2023-03-28'", 2, 4 + 8),
    ],
)
def test_a_where_on_a_timestamp_time_dimension_compares_dates(
    engine: Engine, where: str, count: int, amount: int
) -> None:
    table = _query(engine, ["refunds", "refund_amount"], where=where)
    assert_table(table, ["refunds", "refund_amount"], [(count, float(amount))])


def test_day_grain_agrees_with_the_where(engine: Engine) -> None:
    table = _query(engine, ["refunds", "refund_amount"], grain="day")
    assert_table(
        table,
        ["period", "refunds", "refund_amount"],
        [(d("2023-03-26"), 1, 1.0), (d("2023-03-27"), 3, 14.0), (d("2023-03-28"), 1, 16.0)],
    )
    # the where on the same day keeps the same three refunds, at day grain too
    table = _query(engine, ["refunds"], grain="day", where="refund_date = '2023-03-27'")
    assert_table(table, ["period", "refunds"], [(d("2023-03-26"), 0), (d("2023-03-27"), 3), (d("2023-03-28"), 0)])


def test_a_metric_filter_on_the_date_agrees(engine: Engine) -> None:
    metrics = ["refunds_on_27", "refunds_27_to_27", "refunds_after_27", "amount_on_27", "refunds_processed_28"]
    table = _query(engine, metrics)
    # 27 March: r2, r3, r4 (3 refunds, 2 + 4 + 8); after it: r5; processed on 28 March: r3, r4
    assert_table(table, metrics, [(3, 3, 1, 14.0, 2)])
    table = _query(engine, ["refunds_on_27"], grain="day")
    assert_table(table, ["period", "refunds_on_27"], [(d("2023-03-26"), 0), (d("2023-03-27"), 3), (d("2023-03-28"), 0)])


def test_by_a_timestamp_time_dimension_groups_dates(engine: Engine) -> None:
    table = _query(engine, ["refunds"], dimensions=["refund_date"])
    assert_table(table, ["refund_date", "refunds"], [(d("2023-03-26"), 1), (d("2023-03-27"), 3), (d("2023-03-28"), 1)])
    # processed: r1, r2 on the 27th; r3, r4 on the 28th; r5 on the 29th
    table = _query(engine, ["refunds"], dimensions=["processed_date"])
    assert_table(
        table, ["processed_date", "refunds"], [(d("2023-03-27"), 2), (d("2023-03-28"), 2), (d("2023-03-29"), 1)]
    )


def test_a_metric_timed_by_another_timestamp_time_dimension(engine: Engine) -> None:
    table = _query(engine, ["refunds_by_processing"], grain="day")
    assert_table(
        table,
        ["period", "refunds_by_processing"],
        [(d("2023-03-27"), 2), (d("2023-03-28"), 2), (d("2023-03-29"), 1)],
    )


def test_a_categorical_dimension_on_the_timestamp_stays_a_timestamp(engine: Engine) -> None:
    # compared with a date, a timestamp is compared with that day's midnight: only r2
    table = _query(engine, ["refunds"], where="refund_time = '2023-03-27'")
    assert_table(table, ["refunds"], [(1,)])
    # r3, r4, r5 are after 2023-03-27 00:00:00
    table = _query(engine, ["refunds"], where="refund_time > '2023-03-27'")
    assert_table(table, ["refunds"], [(3,)])

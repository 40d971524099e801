"""Two choices of issue 14, the same on every engine: comparisons with null, and leap days.

- ``channel != 'web'`` keeps only rows whose channel is known and not 'web': a
  comparison with null is not true (SQL's rule), so a null channel is dropped.
  ``channel != 'web' or channel is null`` keeps it.
- At day grain an offset in months or years moves the day back by that many
  calendar months and, when the day does not exist in the earlier month, takes
  that month's last day: with ``1 year`` both 2024-02-28 and 2024-02-29 compare
  with 2023-02-28; with ``1 month`` 29, 30 and 31 March 2024 compare with 29
  February 2024.

Every expected number is worked out by hand in the comments. PostgreSQL and
MariaDB sources are opened through onpace's own connection (the URL in
onpace.yml), as a user's project is; Spark through an injected session.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from onpace.engine import Engine, Query

from .helpers import assert_table, backend_fixtures, create_table_sql, d

# day, channel (one null), amount
ROWS: list[tuple[dt.date, str | None, int]] = [
    (d("2023-02-28"), "store", 10),
    (d("2023-03-01"), "store", 20),
    (d("2024-02-28"), "web", 1),
    (d("2024-02-29"), "store", 2),
    (d("2024-03-01"), None, 3),
    (d("2024-03-29"), "web", 4),
    (d("2024-03-30"), "store", 5),
    (d("2024-03-31"), None, 6),
    (d("2025-02-28"), "store", 7),
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
  - name: sales
    table: {table}
    time: day
    dimensions:
      - {{name: day, column: d, type: time}}
      - {{name: channel, column: channel}}
    measures:
      - {{name: amount, agg: sum, expr: amount}}
      - {{name: not_web_amount, agg: sum, expr: amount, filter: "channel != 'web'"}}
      - {{name: not_web_or_null_amount, agg: sum, expr: amount, filter: "channel != 'web' or channel is null"}}
      - {{name: not_in_web_amount, agg: sum, expr: amount, filter: "channel not in ('web')"}}
      - {{name: null_amount, agg: sum, expr: amount, filter: "channel is null"}}
metrics:
  - {{name: revenue, measure: sales.amount}}
  - {{name: not_web, measure: sales.not_web_amount}}
  - {{name: not_web_or_null, measure: sales.not_web_or_null_amount}}
  - {{name: not_in_web, measure: sales.not_in_web_amount}}
  - {{name: null_channel, measure: sales.null_amount}}
  - name: revenue_ly
    type: derived
    expr: revenue_prev
    inputs:
      - {{metric: revenue, alias: revenue_prev, offset: 1 year}}
  - name: revenue_lm
    type: derived
    expr: revenue_prev
    inputs:
      - {{metric: revenue, alias: revenue_prev, offset: 1 month}}
"""


# the fixtures: loaded (the rows in a table of each backend, a project reading them) and engine
loaded, engine = backend_fixtures(
    "nulls", "onpace_nulls", create_table_sql(COLUMNS, COLUMN_TYPES), ROWS, SPARK_SCHEMA, MODELS
)


def _query(engine: Engine, metrics: list[str], **kwargs: Any) -> Any:
    return engine.query(Query(metrics=metrics, **kwargs))


NULL_METRICS = ["revenue", "not_web", "not_web_or_null", "not_in_web", "null_channel"]


def test_not_equal_drops_a_null_channel(engine: Engine) -> None:
    table = _query(engine, NULL_METRICS)
    # all: 10+20+1+2+3+4+5+6+7 = 58; web rows 1 + 4 = 5; null rows 3 + 6 = 9
    # != 'web' and not in ('web'): 58 - 5 - 9 = 44 (the null channel is not "not web")
    # != 'web' or is null: 44 + 9 = 53
    assert_table(table, NULL_METRICS, [(58, 44, 53, 44, 9)])


def test_query_filter_not_equal_drops_a_null_channel(engine: Engine) -> None:
    table = _query(engine, ["revenue"], where="channel != 'web'")
    assert_table(table, ["revenue"], [(44,)])
    table = _query(engine, ["revenue"], where="channel != 'web' or channel is null")
    assert_table(table, ["revenue"], [(53,)])


def test_by_channel_the_null_channel_is_its_own_row(engine: Engine) -> None:
    table = _query(engine, ["revenue", "not_web"], dimensions=["channel"])
    rows = {row["channel"]: (row["revenue"], row["not_web"]) for row in table.to_pylist()}
    # store 10+20+2+5+7 = 44; web 1+4 = 5; null 3+6 = 9. not_web: no row of web or of the
    # null channel passes its filter, a sum of no rows is 0
    assert rows == {"store": (44, 44), "web": (5, 0), None: (9, 0)}


def test_one_year_back_from_a_leap_day_is_february_28(engine: Engine) -> None:
    table = _query(engine, ["revenue", "revenue_ly"], grain="day", start=d("2024-02-28"), end=d("2024-03-01"))
    assert_table(
        table,
        ["period", "revenue", "revenue_ly"],
        [
            (d("2024-02-28"), 1, 10),  # 2023-02-28
            (d("2024-02-29"), 2, 10),  # 2023-02-29 does not exist: 2023-02-28 again
            (d("2024-03-01"), 3, 20),  # 2023-03-01
        ],
    )
    # and a year after a leap year, 2025-02-28 compares with 2024-02-28 (29 February is skipped)
    table = _query(engine, ["revenue", "revenue_ly"], grain="day", start=d("2025-02-28"), end=d("2025-03-01"))
    assert_table(
        table,
        ["period", "revenue", "revenue_ly"],
        [(d("2025-02-28"), 7, 1), (d("2025-03-01"), 0, 3)],
    )


def test_one_month_back_from_a_month_end_is_the_last_day_of_the_shorter_month(engine: Engine) -> None:
    table = _query(engine, ["revenue", "revenue_lm"], grain="day", start=d("2024-03-28"), end=d("2024-04-01"))
    assert_table(
        table,
        ["period", "revenue", "revenue_lm"],
        [
            (d("2024-03-28"), 0, 1),  # 2024-02-28
            (d("2024-03-29"), 4, 2),  # 2024-02-29
            (d("2024-03-30"), 5, 2),  # 30 February does not exist: 2024-02-29
            (d("2024-03-31"), 6, 2),  # 31 February: 2024-02-29
            (d("2024-04-01"), 0, 3),  # 2024-03-01
        ],
    )

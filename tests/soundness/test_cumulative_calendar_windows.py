"""Cumulative metrics in calendar units, and running counts of distinct values (issue 14).

- ``window: 3 months`` as of a day D holds the days after D moved back 3 months (a day
  the earlier month lacks becomes its last day, as for offsets) up to D: as of
  2024-05-31 that is 2024-03-01..2024-05-31 (2024-05-31 moved back is 2024-02-29), as of
  2024-05-15 it is 2024-02-16..2024-05-15. A quarter is 3 months, a year 12.
- A cumulative over a ``count_distinct`` metric counts the distinct values among all
  the rows of the window, not the sum of each day's distinct count: a customer who
  buys in two months of the window is one customer.

The rows' amounts are powers of two, so every sum below names the rows it adds.
Every expected number is worked out by hand in the comments. PostgreSQL and MariaDB
are read through onpace's own connection (the URL in onpace.yml), Spark through an
injected session.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from onpace.catalog.project import load_project
from onpace.catalog.validate import check_project
from onpace.engine import Engine, Query
from onpace.errors import DefinitionError, QueryError

from .helpers import assert_table, backend_fixtures, create_table_sql, d

# day, customer, channel, amount. 'ANN' is not 'ann' (text compares exactly on every engine).
ROWS: list[tuple[dt.date, str, str, int]] = [
    (d("2023-11-30"), "ann", "web", 1),  # r1
    (d("2023-12-15"), "bob", "store", 2),  # r2
    (d("2024-01-31"), "ann", "web", 4),  # r3
    (d("2024-02-16"), "cat", "store", 8),  # r4
    (d("2024-02-29"), "bob", "web", 16),  # r5
    (d("2024-03-01"), "ann", "store", 32),  # r6
    (d("2024-03-31"), "dan", "web", 64),  # r7
    (d("2024-05-15"), "cat", "web", 128),  # r8
    (d("2024-05-31"), "ann", "store", 256),  # r9
    (d("2024-09-10"), "ANN", "web", 512),  # r10
    (d("2024-12-20"), "bob", "store", 1024),  # r11: the last day with data
]

COLUMN_TYPES = {
    "duckdb": ("DATE", "VARCHAR", "VARCHAR", "INTEGER"),
    "postgres": ("DATE", "VARCHAR(16)", "VARCHAR(16)", "INTEGER"),
    "mysql": ("DATE", "VARCHAR(16)", "VARCHAR(16)", "INT"),
}
COLUMNS = ("d", "customer", "channel", "amount")
SPARK_SCHEMA = "d DATE, customer STRING, channel STRING, amount INT"

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
      - {{name: customers, agg: count_distinct, expr: customer}}
metrics:
  - {{name: revenue, measure: sales.amount}}
  - {{name: revenue_3m, type: cumulative, metric: revenue, window: 3 months}}
  - {{name: revenue_1q, type: cumulative, metric: revenue, window: 1 quarter}}
  - {{name: revenue_1y, type: cumulative, metric: revenue, window: 1 year}}
  - {{name: customers, measure: sales.customers}}
  - {{name: web_customers, dataset: sales, agg: count_distinct, expr: customer, filter: "channel = 'web'"}}
  - {{name: customers_running, type: cumulative, metric: customers}}
  - {{name: customers_mtd, type: cumulative, metric: customers, grain_to_date: month}}
  - {{name: customers_30d, type: cumulative, metric: customers, window: 30 days}}
  - {{name: customers_3m, type: cumulative, metric: customers, window: 3 months}}
  - {{name: web_customers_running, type: cumulative, metric: web_customers}}
"""


# the fixtures: loaded (the rows in a table of each backend, a project reading them) and engine
loaded, engine = backend_fixtures(
    "cumcal", "h_cum", create_table_sql(COLUMNS, COLUMN_TYPES), ROWS, SPARK_SCHEMA, MODELS
)


def _query(engine: Engine, metrics: list[str], **kwargs: Any) -> Any:
    return engine.query(Query(metrics=metrics, **kwargs))


MONTHS_2024 = [d(f"2024-{month:02d}-01") for month in range(1, 13)]


def test_three_month_quarter_and_year_windows_by_month(engine: Engine) -> None:
    table = _query(engine, ["revenue_3m", "revenue_1q", "revenue_1y"], grain="month", start=d("2024-01-01"))
    # each month as of its last day (December: of 2024-12-20, the last day with data)
    three = [
        7,  # Jan 31 - 3 months = 2023-10-31: 2023-11-01..2024-01-31: r1 + r2 + r3 = 1 + 2 + 4
        31,  # Feb 29 -> 2023-11-29: 2023-11-30..2024-02-29: r1..r5 (the 30 November row is in)
        124,  # Mar 31 -> 2023-12-31: 2024-01-01..03-31: r3..r7 = 4 + 8 + 16 + 32 + 64
        124,  # Apr 30 -> 2024-01-30: 2024-01-31..04-30: r3..r7 (31 January is in)
        480,  # May 31 -> 2024-02-29 (no 31 February): 03-01..05-31: r6..r9 = 32 + 64 + 128 + 256
        448,  # Jun 30 -> 03-30: 03-31..06-30: r7 + r8 + r9
        384,  # Jul 31 -> 04-30: 05-01..07-31: r8 + r9
        0,  # Aug 31 -> 05-31: 06-01..08-31: no row (31 May is out)
        512,  # Sep 30 -> 06-30: 07-01..09-30: r10
        512,  # Oct 31 -> 07-31: 08-01..10-31: r10
        512,  # Nov 30 -> 08-30: 08-31..11-30: r10
        1024,  # Dec 20 -> 09-20: 09-21..12-20: r11 (10 September is out)
    ]
    year = [
        7,  # Jan 31 - 12 months = 2023-01-31: 2023-02-01..2024-01-31: r1 + r2 + r3
        31,  # Feb 29 -> 2023-02-28: 2023-03-01..2024-02-29: r1..r5
        127,  # Mar: r1..r7
        127,  # Apr
        511,  # May: r1..r9
        511,
        511,
        511,  # Jun, Jul, Aug
        1023,  # Sep: r1..r10
        1023,  # Oct
        1022,  # Nov 30 -> 2023-11-30: 2023-12-01..2024-11-30: r2..r10 (30 November 2023 is out)
        2044,  # Dec 20 -> 2023-12-20: 2023-12-21..2024-12-20: r3..r11 = 1023 - 1 - 2 + 1024
    ]
    # a quarter is 3 months
    expected = [(p, t, t, y) for p, t, y in zip(MONTHS_2024, three, year, strict=True)]
    assert_table(table, ["period", "revenue_3m", "revenue_1q", "revenue_1y"], expected)


def test_three_month_window_by_day_across_month_ends(engine: Engine) -> None:
    table = _query(engine, ["revenue", "revenue_3m"], grain="day", start=d("2024-02-28"), end=d("2024-03-01"))
    assert_table(
        table,
        ["period", "revenue", "revenue_3m"],
        [
            (d("2024-02-28"), 0, 15),  # -> 2023-11-28: 2023-11-29..2024-02-28: r1..r4 = 1 + 2 + 4 + 8
            (d("2024-02-29"), 16, 31),  # -> 2023-11-29: 2023-11-30..2024-02-29: r1..r5
            (d("2024-03-01"), 32, 62),  # -> 2023-12-01: 12-02..03-01: r2..r6 = 2 + 4 + 8 + 16 + 32
        ],
    )
    table = _query(engine, ["revenue_3m"], grain="day", start=d("2024-03-30"), end=d("2024-03-31"))
    assert_table(
        table,
        ["period", "revenue_3m"],
        [
            (d("2024-03-30"), 60),  # -> 2023-12-30: 12-31..03-30: r3..r6 = 4 + 8 + 16 + 32
            (d("2024-03-31"), 124),  # -> 2023-12-31: 2024-01-01..03-31: r3..r7
        ],
    )
    table = _query(engine, ["revenue_3m"], grain="day", start=d("2024-05-14"), end=d("2024-06-01"))
    got = {row["period"]: row["revenue_3m"] for row in table.to_pylist()}
    assert len(got) == 19
    assert got[d("2024-05-14")] == 120  # -> 02-14: 02-15..05-14: r4..r7 = 8 + 16 + 32 + 64
    assert got[d("2024-05-15")] == 248  # -> 02-15: 02-16..05-15: r4..r8 (both ends are in)
    assert got[d("2024-05-16")] == 240  # -> 02-16: 02-17..05-16: r5..r8 (16 February is out)
    assert got[d("2024-05-28")] == 240  # -> 02-28: 02-29..05-28: r5..r8
    assert got[d("2024-05-29")] == 224  # -> 02-29: 03-01..05-29: r6..r8 (29 February is out)
    assert got[d("2024-05-30")] == 224  # -> 02-29 (no 30 February): 03-01..05-30
    assert got[d("2024-05-31")] == 480  # -> 02-29 (no 31 February): 03-01..05-31: r6..r9
    assert got[d("2024-06-01")] == 448  # -> 03-01: 03-02..06-01: r7..r9


def test_three_month_window_by_channel(engine: Engine) -> None:
    table = _query(
        engine, ["revenue_3m"], dimensions=["channel"], grain="month", start=d("2024-05-01"), end=d("2024-09-30")
    )
    assert_table(
        table,
        ["period", "channel", "revenue_3m"],
        [
            (d("2024-05-01"), "store", 288),  # 03-01..05-31: r6 + r9 = 32 + 256
            (d("2024-05-01"), "web", 192),  # r7 + r8 = 64 + 128
            (d("2024-06-01"), "store", 256),  # 03-31..06-30: r9
            (d("2024-06-01"), "web", 192),  # r7 + r8
            (d("2024-07-01"), "store", 256),  # 05-01..07-31: r9
            (d("2024-07-01"), "web", 128),  # r8
            (d("2024-08-01"), "store", 0),  # 06-01..08-31: empty; both channels are seen in other months
            (d("2024-08-01"), "web", 0),
            (d("2024-09-01"), "store", 0),  # 07-01..09-30: r10 (web)
            (d("2024-09-01"), "web", 512),
        ],
    )
    # August and September: no window of theirs holds a store row (store sold before, in May),
    # so store is not a combination of the result
    table = _query(
        engine, ["revenue_3m"], dimensions=["channel"], grain="month", start=d("2024-08-01"), end=d("2024-09-30")
    )
    assert_table(
        table,
        ["period", "channel", "revenue_3m"],
        [(d("2024-08-01"), "web", 0), (d("2024-09-01"), "web", 512)],
    )


def test_running_and_windowed_distinct_customers_by_month(engine: Engine) -> None:
    metrics = ["customers", "customers_running", "customers_mtd", "customers_30d", "customers_3m"]
    table = _query(engine, metrics, grain="month", start=d("2024-01-01"))
    expected = [
        # month: its own distinct, running since the first row, month to date (= the month),
        # the 30 days ending on the as-of day, the 3 months ending then
        # Jan: running ann (r1, r3: one customer), bob = 2 (a sum of daily distincts would be 3);
        # 30 days 01-02..01-31: ann; 3 months 2023-11-01..01-31: ann, bob, ann = 2
        (1, 2, 1, 1, 2),
        # Feb: running + cat = 3; month cat, bob; 30 days 01-31..02-29: ann, cat, bob;
        # 3 months 2023-11-30..02-29: ann, bob, cat
        (2, 3, 2, 3, 3),
        # Mar: running + dan = 4; month ann, dan; 30 days 03-02..03-31: dan only (1 March is out);
        # 3 months 01-01..03-31: ann, cat, bob, ann, dan = 4
        (2, 4, 2, 1, 4),
        (0, 4, 0, 0, 4),  # Apr: 30 days 04-01..04-30 empty; 3 months 01-31..04-30: r3..r7 = 4
        # May: month cat, ann; 30 days 05-02..05-31: cat, ann; 3 months 03-01..05-31: ann, dan, cat, ann = 3
        (2, 4, 2, 2, 3),
        (0, 4, 0, 0, 3),  # Jun: 3 months 03-31..06-30: dan, cat, ann
        (0, 4, 0, 0, 2),  # Jul: 3 months 05-01..07-31: cat, ann
        (0, 4, 0, 0, 0),  # Aug: every window is empty
        (1, 5, 1, 1, 1),  # Sep: 'ANN' is a new customer (not 'ann')
        (0, 5, 0, 0, 1),  # Oct: 3 months 08-01..10-31: ANN
        (0, 5, 0, 0, 1),  # Nov: 08-31..11-30: ANN
        # Dec (as of 12-20): bob again, not a new customer; 30 days 11-21..12-20: bob;
        # 3 months 09-21..12-20: bob (ANN on 09-10 is out)
        (1, 5, 1, 1, 1),
    ]
    assert_table(table, ["period", *metrics], [(p, *row) for p, row in zip(MONTHS_2024, expected, strict=True)])
    # counts are whole numbers, like every count
    assert all(str(table.schema.field(name).type) == "int64" for name in metrics)


def test_distinct_month_to_date_and_windows_by_day(engine: Engine) -> None:
    metrics = ["customers_mtd", "customers_30d", "customers_3m"]
    table = _query(engine, metrics, grain="day", start=d("2024-02-28"), end=d("2024-03-02"))
    assert_table(
        table,
        ["period", *metrics],
        [
            # month to date 02-01..02-28: cat; 30 days 01-30..02-28: ann, cat;
            # 3 months 2023-11-29..02-28: ann, bob, ann, cat = 3
            (d("2024-02-28"), 1, 2, 3),
            (d("2024-02-29"), 2, 3, 3),  # + bob: month cat, bob; 30 days ann, cat, bob
            # March restarts: ann; 30 days 02-01..03-01: cat, bob, ann;
            # 3 months 2023-12-02..03-01: bob, ann, cat, bob, ann = 3
            (d("2024-03-01"), 1, 3, 3),
            # 30 days 02-02..03-02: cat, bob, ann; 3 months 12-03..03-02: the same rows as on 03-01
            (d("2024-03-02"), 1, 3, 3),
        ],
    )


def test_running_distinct_with_a_filter_by_channel(engine: Engine) -> None:
    table = _query(
        engine,
        ["customers_running", "web_customers_running"],
        dimensions=["channel"],
        grain="month",
        start=d("2024-01-01"),
        end=d("2024-03-31"),
    )
    assert_table(
        table,
        ["period", "channel", "customers_running", "web_customers_running"],
        [
            # store rows: bob (r2); web: ann (r1, r3). The web filter counts no store customer, and
            # does not hide the store row
            (d("2024-01-01"), "store", 1, 0),
            (d("2024-01-01"), "web", 1, 1),
            (d("2024-02-01"), "store", 2, 0),  # bob, cat
            (d("2024-02-01"), "web", 2, 2),  # ann, bob
            (d("2024-03-01"), "store", 3, 0),  # bob, cat, ann
            (d("2024-03-01"), "web", 3, 3),  # ann, bob, dan
        ],
    )
    # without a dimension: web customers ann, bob, dan, cat (May), ANN (September)
    table = _query(engine, ["web_customers_running"], grain="quarter", start=d("2024-01-01"))
    assert_table(
        table,
        ["period", "web_customers_running"],
        [(d("2024-01-01"), 3), (d("2024-04-01"), 4), (d("2024-07-01"), 5), (d("2024-10-01"), 5)],
    )


def test_distinct_three_months_by_channel_and_empty_windows(engine: Engine) -> None:
    table = _query(
        engine, ["customers_3m"], dimensions=["channel"], grain="month", start=d("2024-07-01"), end=d("2024-09-30")
    )
    assert_table(
        table,
        ["period", "channel", "customers_3m"],
        [
            (d("2024-07-01"), "store", 1),  # 05-01..07-31: ann (r9)
            (d("2024-07-01"), "web", 1),  # cat (r8)
            (d("2024-08-01"), "store", 0),  # 06-01..08-31: empty
            (d("2024-08-01"), "web", 0),
            (d("2024-09-01"), "store", 0),  # 07-01..09-30: ANN (web)
            (d("2024-09-01"), "web", 1),
        ],
    )


def test_totals_without_a_grain(engine: Engine) -> None:
    # as of the last day with data, 2024-12-20: ann, bob, cat, dan and ANN = 5;
    # a year back: 2023-12-21..2024-12-20 = 2044; 3 months: 09-21..12-20: bob
    table = _query(engine, ["customers_running", "revenue_1y", "customers_3m"])
    assert_table(table, ["customers_running", "revenue_1y", "customers_3m"], [(5, 2044, 1)])


# -- definitions refused ---------------------------------------------------


def _project(tmp_path: Path, metrics: str) -> Path:
    (tmp_path / "models").mkdir()
    config = {"name": "refused", "sources": {"warehouse": {"url": "duckdb:///data.duckdb"}}}
    (tmp_path / "onpace.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    datasets = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: d, type: time}
    measures:
      - {name: amount, agg: sum, expr: amount}
"""
    (tmp_path / "models" / "models.yml").write_text(datasets + "metrics:\n" + metrics)
    return tmp_path


def test_a_window_in_an_unknown_unit_lists_the_units(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "  - {name: revenue, measure: sales.amount}\n"
        "  - {name: revenue_6w, type: cumulative, metric: revenue, window: 3 fortnights}\n",
    )
    with pytest.raises(DefinitionError) as raised:
        load_project(root, env={})
    message = str(raised.value)
    assert "invalid duration '3 fortnights'" in message
    assert "day, week, month, quarter or year" in message


@pytest.mark.parametrize("agg", ["avg", "median"])
def test_a_cumulative_average_or_median_is_refused(tmp_path: Path, agg: str) -> None:
    root = _project(
        tmp_path,
        f"  - {{name: typical, dataset: sales, agg: {agg}, expr: amount}}\n"
        "  - {name: typical_3m, type: cumulative, metric: typical, window: 3 months}\n",
    )
    project = load_project(root, env={}, check=False)
    messages = [issue.message for issue in check_project(project)]
    assert any(
        f"cumulative metric 'typical_3m' needs a simple sum, count or count_distinct metric, and 'typical' is a "
        f"simple {agg} metric" in message
        for message in messages
    ), messages
    engine = Engine(project)
    try:
        with pytest.raises(QueryError, match="needs a simple sum, count or count_distinct metric"):
            engine.query(Query(metrics=["typical_3m"], grain="month"))
    finally:
        engine.close()

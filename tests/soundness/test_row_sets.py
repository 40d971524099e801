"""Which rows (dimension combinations) a query returns, on every engine.

docs/engine-contract.md (Time spine): every period x every combination seen in
the rows the query's metrics read for the result's periods. A cumulative
metric reads its window (which may start before the range), an offset input
the earlier period, and a metric's own filter never hides a combination,
whatever the metric's type or the engine's code path (MariaDB ranks rows for
percentiles by window functions). Expected rows are worked out by hand from
the five orders and two stock rows below (issue 14, defects 1-3).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query

from .helpers import assert_table, d

BACKENDS = ("duckdb", "postgres", "mysql", "spark")
PREFIX = f"onpace_rs{os.getpid()}_"  # the servers are shared: tables of this run only

ORDERS = [
    (d("2024-01-05"), "phone", "10.00"),
    (d("2024-02-03"), "web", "5.00"),
    (d("2024-02-20"), "web", "7.00"),
    (d("2024-02-21"), "store", "2.50"),
    (d("2024-02-22"), "store", "3.50"),
]
STOCK = [(d("2024-01-31"), "a", 5), (d("2024-01-31"), "b", 7)]

MODELS = """
datasets:
  - name: orders
    table: {prefix}orders
    time: day
    dimensions:
      - {{name: day, column: d, type: time}}
      - {{name: channel, column: channel}}
    measures:
      - {{name: revenue, agg: sum, expr: amount}}
  - name: stock
    table: {prefix}stock
    time: stock_day
    dimensions:
      - {{name: stock_day, column: d, type: time}}
      - {{name: product, column: product}}
    measures:
      - {{name: units, agg: sum, expr: units}}
metrics:
  - {{name: revenue, measure: orders.revenue}}
  - {{name: web_revenue, measure: orders.revenue, filter: "channel = 'web'"}}
  - {{name: revenue_running, type: cumulative, metric: revenue}}
  - {{name: web_running, type: cumulative, metric: web_revenue}}
  - {{name: revenue_7d, type: cumulative, metric: revenue, window: 7 days}}
  - name: revenue_change
    type: derived
    expr: revenue - revenue_before
    inputs:
      - {{metric: revenue}}
      - {{metric: revenue, alias: revenue_before, offset: 1 period}}
  - {{name: stock_a, type: semi_additive, measure: stock.units, filter: "product = 'a'"}}
  - {{name: stock_a_avg, type: semi_additive, measure: stock.units, filter: "product = 'a'", over_time: avg}}
  - {{name: web_median, dataset: orders, agg: median, expr: amount, filter: "channel = 'web'"}}
  - {{name: web_p25, dataset: orders, agg: percentile, percentile: 0.25, expr: amount, filter: "channel = 'web'"}}
"""

CREATE = (
    "CREATE TABLE {prefix}orders (d DATE, channel VARCHAR(16), amount DECIMAL(10,2))",
    "CREATE TABLE {prefix}stock (d DATE, product VARCHAR(16), units INTEGER)",
)


def _inserts(prefix: str) -> list[str]:
    orders = ", ".join(f"(DATE '{day}', '{channel}', {amount})" for day, channel, amount in ORDERS)
    stock = ", ".join(f"(DATE '{day}', '{product}', {units})" for day, product, units in STOCK)
    return [f"INSERT INTO {prefix}orders VALUES {orders}", f"INSERT INTO {prefix}stock VALUES {stock}"]


def _statements(prefix: str) -> list[str]:
    return [s.format(prefix=prefix) for s in CREATE] + _inserts(prefix)


def _write_project(root: Path, prefix: str) -> None:
    (root / "models").mkdir(parents=True)
    config = {"name": "row_sets", "sources": {"warehouse": {"url": "duckdb:///data.duckdb"}}}
    (root / "onpace.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "models" / "models.yml").write_text(MODELS.format(prefix=prefix))


def _load_duckdb(root: Path, prefix: str) -> None:
    import duckdb

    con = duckdb.connect(str(root / "data.duckdb"))
    try:
        for sql in _statements(prefix):
            con.execute(sql)
    finally:
        con.close()


def _load_server(connect: Any, prefix: str) -> None:
    conn = connect()
    try:
        cur = conn.cursor()
        for table in ("orders", "stock"):
            cur.execute(f"DROP TABLE IF EXISTS {prefix}{table}")
        for sql in _statements(prefix):
            cur.execute(sql)
        conn.commit()
    finally:
        conn.close()


def _drop_server(connect: Any, prefix: str) -> None:
    conn = connect()
    try:
        cur = conn.cursor()
        for table in ("orders", "stock"):
            cur.execute(f"DROP TABLE IF EXISTS {prefix}{table}")
        conn.commit()
    finally:
        conn.close()


def _load_spark(spark: Any, prefix: str) -> None:
    from decimal import Decimal

    from pyspark.sql import types as T

    orders = T.StructType(
        [
            T.StructField("d", T.DateType()),
            T.StructField("channel", T.StringType()),
            T.StructField("amount", T.DecimalType(10, 2)),
        ]
    )
    stock = T.StructType(
        [
            T.StructField("d", T.DateType()),
            T.StructField("product", T.StringType()),
            T.StructField("units", T.IntegerType()),
        ]
    )
    rows = [(day, channel, Decimal(amount)) for day, channel, amount in ORDERS]
    spark.createDataFrame(rows, schema=orders).createOrReplaceTempView(f"{prefix}orders")
    spark.createDataFrame(list(STOCK), schema=stock).createOrReplaceTempView(f"{prefix}stock")


class RowSets:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def query(
        self,
        metrics: list[str],
        dimensions: list[str],
        grain: str,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Any:
        return self.engine.query(Query(metrics=metrics, dimensions=dimensions, grain=grain, start=start, end=end))


@pytest.fixture(
    scope="module",
    params=[pytest.param(b, id=b, marks=[] if b == "duckdb" else [getattr(pytest.mark, b)]) for b in BACKENDS],
)
def rows(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RowSets]:
    backend: str = request.param
    root = tmp_path_factory.mktemp(f"row-sets-{backend}")
    _write_project(root, PREFIX)
    project = load_project(root, env={})
    import ibis
    from tests.integration.loaders import connect_mysql, mysql_params, postgres_params

    connect: partial[Any] | None = None  # DB-API connections to the server (postgres, mysql)
    if backend == "duckdb":
        _load_duckdb(root, PREFIX)
        engine = Engine(project)
    elif backend == "postgres":
        import psycopg

        url = request.getfixturevalue("pg_url")
        connect = partial(psycopg.connect, url)
        _load_server(connect, PREFIX)
        engine = Engine(project, backends={"warehouse": ibis.postgres.connect(**postgres_params(url))})
    elif backend == "mysql":
        url = request.getfixturevalue("mysql_url")
        connect = partial(connect_mysql, url)
        _load_server(connect, PREFIX)
        engine = Engine(project, backends={"warehouse": ibis.mysql.connect(**mysql_params(url))})
    else:
        spark = request.getfixturevalue("spark_session")
        _load_spark(spark, PREFIX)
        engine = Engine(project, backends={"warehouse": ibis.pyspark.connect(spark)})
    try:
        yield RowSets(engine)
    finally:
        if connect is not None:  # injected connections are the test's to close (never the shared Spark one)
            engine.backend("warehouse").disconnect()
        engine.close()
        if connect is not None:
            _drop_server(connect, PREFIX)


FEB = d("2024-02-01")
JAN = d("2024-01-01")


# -- defect 1: cumulative metrics keep the combinations their window reads ----------


def test_running_total_keeps_a_channel_without_sales_in_the_range(rows: RowSets) -> None:
    # phone sold 10 on 2024-01-05 only: its running total is 10 in February; store 2.5 + 3.5; web 5 + 7
    table = rows.query(["revenue_running"], ["channel"], "month", start=FEB)
    assert_table(
        table,
        ["period", "channel", "revenue_running"],
        [(FEB, "phone", 10.0), (FEB, "store", 6.0), (FEB, "web", 12.0)],
    )
    # the rows add up to the total without the dimension: 10 + 6 + 12
    total = rows.query(["revenue_running"], [], "month", start=FEB)
    assert_table(total, ["period", "revenue_running"], [(FEB, 28.0)])


def test_running_total_with_its_own_filter_keeps_every_channel_it_reads(rows: RowSets) -> None:
    # the filter (web only) hides no channel: phone and store rows are read, their web revenue is 0
    table = rows.query(["web_running"], ["channel"], "month", start=FEB)
    assert_table(
        table, ["period", "channel", "web_running"], [(FEB, "phone", 0.0), (FEB, "store", 0.0), (FEB, "web", 12.0)]
    )


def test_trailing_window_shows_only_the_channels_in_its_window(rows: RowSets) -> None:
    # February as of 2024-02-22 (the last day with data): window 02-16..02-22 holds web 7, store 2.5 + 3.5;
    # phone (2024-01-05) is in no window, as it is in no February row: no phone row (not a 0)
    table = rows.query(["revenue_7d"], ["channel"], "month", start=FEB)
    assert_table(table, ["period", "channel", "revenue_7d"], [(FEB, "store", 6.0), (FEB, "web", 7.0)])
    # from January: January's window (01-25..01-31) is empty; phone's January sale is in no window
    two = rows.query(["revenue_7d"], ["channel"], "month", start=JAN, end=d("2024-02-29"))
    assert_table(
        two,
        ["period", "channel", "revenue_7d"],
        [(JAN, "store", 0.0), (JAN, "web", 0.0), (FEB, "store", 6.0), (FEB, "web", 7.0)],
    )
    # by day: the window of 02-09 (02-03..02-09) holds web's 5, the one of 02-10 (02-04..02-10) nothing
    by_day = rows.query(["revenue_7d"], ["channel"], "day", start=d("2024-02-09"), end=d("2024-02-10"))
    assert_table(
        by_day, ["period", "channel", "revenue_7d"], [(d("2024-02-09"), "web", 5.0), (d("2024-02-10"), "web", 0.0)]
    )


def test_offset_keeps_the_combinations_of_the_earlier_period(rows: RowSets) -> None:
    # February minus January: phone 0 - 10, store 6 - 0, web 12 - 0
    table = rows.query(["revenue", "revenue_change"], ["channel"], "month", start=FEB, end=d("2024-02-29"))
    assert_table(
        table,
        ["period", "channel", "revenue", "revenue_change"],
        [(FEB, "phone", 0.0, -10.0), (FEB, "store", 6.0, 6.0), (FEB, "web", 12.0, 12.0)],
    )


def test_a_sum_alone_shows_only_the_combinations_of_the_range(rows: RowSets) -> None:
    table = rows.query(["revenue"], ["channel"], "month", start=FEB)
    assert_table(table, ["period", "channel", "revenue"], [(FEB, "store", 6.0), (FEB, "web", 12.0)])


# -- defects 2 and 3: a metric's own filter never hides a combination ----------------


def test_filtered_semi_additive_alone_lists_every_product(rows: RowSets) -> None:
    # January's last snapshot (01-31): a 5; b has rows but the filter keeps only a: null, not missing
    table = rows.query(["stock_a", "stock_a_avg"], ["product"], "month")
    assert_table(table, ["period", "product", "stock_a", "stock_a_avg"], [(JAN, "a", 5.0, 5.0), (JAN, "b", None, None)])


def test_filtered_median_and_percentile_alone_list_every_channel(rows: RowSets) -> None:
    # web in February: 5 and 7, median 6, 25th percentile 5 + 0.25 * (7 - 5) = 5.5; store has rows: null
    table = rows.query(["web_median", "web_p25"], ["channel"], "month", start=FEB)
    assert_table(
        table, ["period", "channel", "web_median", "web_p25"], [(FEB, "store", None, None), (FEB, "web", 6.0, 5.5)]
    )


def test_filtered_sum_alone_lists_every_channel(rows: RowSets) -> None:
    table = rows.query(["web_revenue"], ["channel"], "month", start=FEB)
    assert_table(table, ["period", "channel", "web_revenue"], [(FEB, "store", 0.0), (FEB, "web", 12.0)])

"""The distinct count of a dataset's primary key is computed as a count (engine/plan.py).

A primary key has one row per value and no join repeats a dataset's rows, so its distinct
count is the count of its non-null values, which adds up by day: a refresh keeps it by day
(engine/days.py). The answers must stay those of ``COUNT(DISTINCT ...)`` written by hand;
a key that is not primary in the metric's dataset keeps its distinct count.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onpace.catalog import models as m
from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.engine import days as day_sharing
from onpace.engine import plan as p

MODELS = """
datasets:
  - name: orders
    table: orders
    time: order_day
    keys:
      - {name: order, column: order_id, primary: true}
      - {name: customer, column: customer_id}
    dimensions:
      - {name: order_day, column: order_day, type: time}
      - {name: status, column: status}
    measures:
      - {name: order_count, agg: count_distinct, expr: order_id}
      - {name: open_orders, agg: count_distinct, expr: order_id, filter: "status = 'open'"}
      - {name: buyers, agg: count_distinct, expr: customer_id}
  - name: lines
    table: lines
    time: order_day
    keys:
      - {name: order, column: order_id}
    measures:
      - {name: ordered, agg: count_distinct, expr: order_id}
  - name: customers
    table: customers
    keys:
      - {name: customer, column: customer_id, primary: true}
    dimensions:
      - {name: region, column: region}
metrics:
  - {name: orders, measure: orders.order_count}
  - {name: open_orders, measure: orders.open_orders}
  - {name: buyers, measure: orders.buyers}
  - {name: orders_with_lines, measure: lines.ordered}
  - {name: orders_7d, type: cumulative, metric: orders, window: 7 days}
"""

DATA = """
create table customers as
  select * from (values (1, 'EAST'), (2, 'EAST'), (3, 'WEST'), (4, 'WEST')) t(customer_id, region);
create table orders as
  select i as order_id,
         1 + (i * 7) % 4 as customer_id,
         date '2024-01-01' + cast((i * 37) % 75 as integer) as order_day,
         case when i % 3 = 0 then 'open' else 'shipped' end as status
  from range(1, 400) r(i);
create table lines as
  select o.order_id, o.order_day from orders o, range(0, 3) k(j) where (o.order_id + j) % 2 = 0;
"""


@pytest.fixture
def project(duckdb_project: Callable[[str, str], Path]) -> Path:
    return duckdb_project(MODELS, DATA)


def _sql(root: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(root / "data.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_primary_keys_distinct_count_is_planned_as_a_count(project: Path) -> None:
    planner = p.Planner(load_project(project))
    orders = planner.resolve("orders")
    assert isinstance(orders, p.Leaf) and orders.agg == m.Agg.count and orders.expr == "order_id"
    open_orders = planner.resolve("open_orders")
    assert isinstance(open_orders, p.Leaf) and open_orders.agg == m.Agg.count
    assert open_orders.filters == ("status = 'open'",)
    buyers = planner.resolve("buyers")  # not a key of its own dataset
    assert isinstance(buyers, p.Leaf) and buyers.agg == m.Agg.count_distinct
    with_lines = planner.resolve("orders_with_lines")  # the order key is not primary in 'lines'
    assert isinstance(with_lines, p.Leaf) and with_lines.agg == m.Agg.count_distinct
    running = planner.resolve("orders_7d")
    assert isinstance(running, p.Cumulative) and not running.distinct


@pytest.mark.parametrize("shared", [False, True], ids=["own rows", "days shared by a refresh"])
def test_counts_equal_hand_written_distinct_counts(project: Path, shared: bool) -> None:
    by_month = {
        (row[0], row[1]): row[2:]
        for row in _sql(
            project,
            """
            select date_trunc('month', o.order_day)::date, c.region,
                   count(distinct o.order_id), count(distinct o.order_id) filter (where o.status = 'open')
            from orders o left join customers c using (customer_id)
            group by all
            """,
        )
    }
    daily = dict(_sql(project, "select order_day, count(distinct order_id) from orders group by all"))
    first, last = min(daily), max(daily)
    # the 7 days up to each day (zero-filled days count 0), by hand from the daily counts
    running = {
        first + dt.timedelta(days=i): sum(
            daily.get(first + dt.timedelta(days=i - k), 0) for k in range(7) if i - k >= 0
        )
        for i in range((last - first).days + 1)
    }
    engine = Engine(load_project(project))
    try:
        with day_sharing.sharing("fill", 3) if shared else contextlib.nullcontext():
            months = engine.query(Query(metrics=["orders", "open_orders"], dimensions=["region"], grain="month"))
            days = engine.query(Query(metrics=["orders", "orders_7d"], grain="day"))
    finally:
        engine.close()
    got = {
        (period, region): (orders, open_orders)
        for period, region, orders, open_orders in zip(
            *(months.column(c).to_pylist() for c in months.column_names), strict=True
        )
    }
    assert got == by_month
    got_days = dict(zip(days.column("period").to_pylist(), days.column("orders").to_pylist(), strict=True))
    assert got_days == {day: daily.get(day, 0) for day in running}
    assert dict(zip(days.column("period").to_pylist(), days.column("orders_7d").to_pylist(), strict=True)) == running

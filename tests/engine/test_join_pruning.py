"""Date filters reach a fact table that carries its date only through a join, where DuckDB can prune.

Line items have no date of their own: their time is the order's date, reached through the order
key (as in the TPC-H example). An incremental refresh reads the line items of the last few days
only. When the order keys follow the dates (as most systems number their orders), DuckDB prunes
the line items' row groups from the keys of the orders the date filter keeps (its join filter):
the query the engine builds must leave it that chance, by joining on the plain key columns and
filtering the joined date, so that the read scans the last row groups only instead of every one.
The values are checked against SQL written by hand on the same file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.engine import days as day_sharing
from onpace.engine import engine as engine_module

MODELS = """
datasets:
  - name: lines
    table: lines
    time: order_date
    keys:
      - {name: order, column: l_order}
    measures:
      - {name: revenue, agg: sum, expr: l_amount}
      - {name: line_count, agg: count}
  - name: orders
    table: orders
    time: order_date
    keys:
      - {name: order, column: o_order, primary: true}
    dimensions:
      - {name: order_date, column: o_date, type: time}
metrics:
  - {name: revenue, measure: revenue}
  - {name: line_count, measure: line_count}
"""

FIRST = dt.date(2024, 1, 1)
DAYS = 400
# 1,000 orders a day numbered in date order, 3 lines each: 1.2 million lines, about ten row groups
DATA = f"""
create table orders as
  select i as o_order, date '{FIRST}' + (i // 1000)::int as o_date
  from range({DAYS * 1000}) t(i);
create table lines as
  select o_order as l_order, (o_order % 97 + j)::double as l_amount
  from orders, range(3) s(j)
  order by l_order;
"""
LAST = FIRST + dt.timedelta(days=DAYS - 1)


def _row_groups(plan: str, table: str) -> tuple[int, int]:
    """(scanned, total) row groups of ``table``'s scan in an EXPLAIN ANALYZE plan."""
    lines = plan.splitlines()
    for index, line in enumerate(lines):
        if f"Table: {table}" in line or re.search(rf"Table: \S*\.{table}\b", line):
            for later in lines[index:]:
                # the scan's box is the part of the line under the table name's column
                found = re.search(r"Row Groups Scanned: (\d+) / (\d+)", later[: line.index("Table:") + 60])
                if found:
                    return int(found.group(1)), int(found.group(2))
    raise AssertionError(f"no row groups of '{table}' in the plan:\n{plan}")


def _expected(project: Path, start: dt.date) -> dict[dt.date, float]:
    """Revenue by day from ``start`` on, by hand-written SQL."""
    with duckdb.connect(str(project / "data.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select o_date, sum(l_amount) from lines join orders on l_order = o_order where o_date >= ? group by o_date",
            [start],
        ).fetchall()
    return dict(rows)


def _incremental(project: Path, lookback: int, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[Any, Any], str]:
    """Revenue by day from the lookback on as an incremental refresh reads it, and the plan of its line items' read."""
    seen: list[str] = []
    run = engine_module.duckdb_sql_to_arrow

    def recording(backend: Any, expr: Any, sql: str) -> Any:
        seen.append(sql)
        return run(backend, expr, sql)

    start = LAST - dt.timedelta(days=lookback)
    with Engine(load_project(project)) as engine:
        with day_sharing.sharing("fill", lookback):  # a full refresh keeps every day
            engine.query(Query(metrics=["revenue", "line_count"], grain="day"))
        engine.clear_cache()  # the next refresh: the data may have grown
        monkeypatch.setattr(engine_module, "duckdb_sql_to_arrow", recording)
        with day_sharing.sharing("reuse", lookback, start):
            table = engine.query(Query(metrics=["revenue", "line_count"], grain="day", start=start))
        monkeypatch.undo()
        reads = [sql for sql in seen if 'FROM "lines"' in sql]
        assert len(reads) == 1, seen  # the days from the lookback on, read once
        plan = engine.backend("warehouse").con.sql("EXPLAIN ANALYZE " + reads[0]).fetchall()[0][1]
    return {row["period"]: row["revenue"] for row in table.to_pylist()}, plan


def test_the_incremental_read_of_line_items_prunes_their_row_groups(
    duckdb_project: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = duckdb_project(MODELS, DATA)
    want = _expected(project, LAST - dt.timedelta(days=3))
    assert len(want) == 4
    got, plan = _incremental(project, 3, monkeypatch)
    assert got == pytest.approx(want, rel=1e-12)
    scanned, total = _row_groups(plan, "lines")
    assert total >= 8
    assert scanned <= 2, plan  # the last days' keys are in the last row group (or two)


def test_without_keys_in_date_order_every_row_group_is_read(
    duckdb_project: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: order keys in no order of the dates (a permutation: 7919 is prime to the count), nothing skipped."""
    project = duckdb_project(
        MODELS, DATA.replace("select i as o_order", f"select (i * 7919) % {DAYS * 1000} as o_order")
    )
    want = _expected(project, LAST - dt.timedelta(days=3))
    got, plan = _incremental(project, 3, monkeypatch)
    assert got == pytest.approx(want, rel=1e-12)
    scanned, total = _row_groups(plan, "lines")
    assert scanned == total >= 8

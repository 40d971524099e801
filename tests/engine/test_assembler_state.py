"""One Assembler serves many queries: nothing of one query is kept where another can see it.

Data (DuckDB): table ``sales``, one row per day and region from 2024-01-01 to 2024-03-31
(a leap year: January 31 days, February 29, March 31): NORTH sells 10 a day, SOUTH 20.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.engine.assemble import Assembler, Built

MODELS = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
    measures:
      - {name: revenue, agg: sum, expr: amount}
metrics:
  - {name: revenue, measure: revenue}
  - {name: running, type: cumulative, metric: revenue, grain_to_date: quarter}
"""

JAN, FEB, MAR = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
# by hand: days in the month x the region's daily amount
BY_MONTH_AND_REGION = {
    (JAN, "NORTH"): 310.0,
    (JAN, "SOUTH"): 620.0,
    (FEB, "NORTH"): 290.0,
    (FEB, "SOUTH"): 580.0,
    (MAR, "NORTH"): 310.0,
    (MAR, "SOUTH"): 620.0,
}
# the quarter to date as of each month's end, both regions (30 a day): 31, 60 and 91 days
RUNNING_BY_MONTH = {JAN: 930.0, FEB: 1800.0, MAR: 2730.0}

BY_REGION = Query(metrics=["revenue"], grain="month", dimensions=["region"])
RUNNING = Query(metrics=["running"], grain="month")


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / "models").mkdir()
    (tmp_path / "onpace.yml").write_text("name: shop\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\n")
    (tmp_path / "models" / "m.yml").write_text(MODELS)
    con = duckdb.connect(str(tmp_path / "data.duckdb"))
    con.execute("""
        create table sales as
        select d::date as day, r.region, r.amount
        from range(date '2024-01-01', date '2024-04-01', interval 1 day) t(d),
             (values ('NORTH', 10.0), ('SOUTH', 20.0)) r(region, amount)
    """)
    con.close()
    with Engine(load_project(tmp_path)) as engine:
        yield engine


def _by_region(built: Built) -> dict[tuple[dt.date, str], float]:
    rows = built.expr.to_pyarrow().to_pylist()
    return {(row["period"], row["region"]): row["revenue"] for row in rows}


def _running(built: Built) -> dict[dt.date, float]:
    return {row["period"]: row["running"] for row in built.expr.to_pyarrow().to_pylist()}


def test_a_query_built_inside_another_leaves_it_as_it_was(engine: Engine) -> None:
    """The second query is built while the first one asks for its data's bounds: half-way through it."""
    inner: list[Built] = []

    def bounds(time: str) -> tuple[dt.date | None, dt.date | None]:
        if not inner:
            inner.append(Built(None, []))  # one query inside, not one inside each
            inner[0] = assembler.build(RUNNING)
        return engine.bounds(time)

    assembler = Assembler(engine.project, engine.graph, engine.table, bounds, "duckdb")
    outer = assembler.build(BY_REGION)
    assert _by_region(outer) == BY_MONTH_AND_REGION
    assert _running(inner[0]) == RUNNING_BY_MONTH
    assert outer.columns == ["period", "region", "revenue"]
    assert inner[0].columns == ["period", "running"]


def test_queries_one_after_another_give_what_each_gives_alone(engine: Engine) -> None:
    assembler = Assembler(engine.project, engine.graph, engine.table, engine.bounds, "duckdb")
    first, second, again = assembler.build(BY_REGION), assembler.build(RUNNING), assembler.build(BY_REGION)
    assert _by_region(first) == _by_region(again) == BY_MONTH_AND_REGION
    assert _running(second) == RUNNING_BY_MONTH


def test_the_engine_answers_each_query_the_same_whatever_came_before(engine: Engine) -> None:
    def table(query: Query) -> list[dict[str, Any]]:
        return engine.query(query).to_pylist()

    by_region, running = table(BY_REGION), table(RUNNING)
    assert {(r["period"], r["region"]): r["revenue"] for r in by_region} == BY_MONTH_AND_REGION
    assert {r["period"]: r["running"] for r in running} == RUNNING_BY_MONTH
    assert table(BY_REGION) == by_region and table(RUNNING) == running

"""A segment's days with data from the days a refresh kept (Engine.data_days, engine/days.py).

Inside a refresh's day sharing, a query that read a segment's sums and counts by day over the
whole range of its time dimension already holds the segment's first and last day with a row:
``data_days`` and ``data_days_by`` answer from them without scanning the source again. When the
kept days do not cover the whole range, the source is asked as before. Expected days come from
SQL written by hand on the same DuckDB file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.engine import days as day_sharing

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
      - {name: big_lines, agg: count, filter: "amount > 1000"}
metrics:
  - {name: revenue, measure: revenue}
  - {name: big_lines, measure: big_lines}
"""

# EAST every day of 2024-01-05..2024-03-31; WEST only 2024-02-10..2024-03-02; NORTH one day
DATA = """
create table sales as
  select d::date as day, 'EAST' as region, 10.0 as amount
  from range(date '2024-01-05', date '2024-04-01', interval 1 day) t(d)
  union all
  select d::date, 'WEST', 5.0 from range(date '2024-02-10', date '2024-03-03', interval 1 day) t(d)
  union all
  select date '2024-03-15', 'NORTH', 1.0;
"""


@pytest.fixture
def project(duckdb_project: Callable[[str, str], Path]) -> Path:
    return duckdb_project(MODELS, DATA)


@pytest.fixture
def expected(project: Path) -> dict[str, tuple[dt.date, dt.date]]:
    """Each region's first and last day with a row, by hand-written SQL (before the engine opens the file)."""
    con = duckdb.connect(str(project / "data.duckdb"), read_only=True)
    try:
        rows = con.execute("select region, min(day), max(day) from sales group by region").fetchall()
    finally:
        con.close()
    return {region: (lo, hi) for region, lo, hi in rows}


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The extent queries sent to the source (a seam: the kept days must make them unneeded)."""
    from onpace.engine import extent

    asked: list[str] = []
    one, by = extent.extent_expr, extent.extent_by_expr

    def counted_one(*args: Any, **kwargs: Any) -> Any:
        asked.append("one")
        return one(*args, **kwargs)

    def counted_by(*args: Any, **kwargs: Any) -> Any:
        asked.append("by")
        return by(*args, **kwargs)

    monkeypatch.setattr(extent, "extent_expr", counted_one)
    monkeypatch.setattr(extent, "extent_by_expr", counted_by)
    return asked


def test_a_segments_days_come_from_the_kept_days(project: Path, scans: list[str], expected: dict[str, Any]) -> None:
    engine = Engine(load_project(project))
    try:
        with day_sharing.sharing("fill", 3):
            engine.query(Query(metrics=["revenue", "big_lines"], grain="day", where="region = 'WEST'"))
            assert engine.data_days("big_lines", "region = 'WEST'") == expected["WEST"]
            assert engine.data_days("revenue", "region = 'WEST'") == expected["WEST"]
        assert scans == []  # no extent query reached the source
    finally:
        engine.close()


def test_segments_of_one_dimension_come_from_the_kept_days(
    project: Path, scans: list[str], expected: dict[str, Any]
) -> None:
    engine = Engine(load_project(project))
    where = "region in ('EAST', 'NORTH', 'SOUTH', 'WEST')"
    try:
        with day_sharing.sharing("fill", 3):
            engine.query(Query(metrics=["revenue"], dimensions=["region"], grain="month", where=where))
            found = engine.data_days_by("revenue", "region", ["EAST", "NORTH", "SOUTH", "WEST"])
        assert scans == []
    finally:
        engine.close()
    assert found == {
        "EAST": expected["EAST"],
        "NORTH": expected["NORTH"],
        "SOUTH": (None, None),  # no row at all
        "WEST": expected["WEST"],
    }


def test_kept_days_that_do_not_cover_the_range_are_not_used(
    project: Path, scans: list[str], expected: dict[str, Any]
) -> None:
    engine = Engine(load_project(project))
    try:
        with day_sharing.sharing("fill", 3):
            # only March is read by day: the kept days do not hold WEST's first day
            engine.query(Query(metrics=["revenue"], grain="day", where="region = 'WEST'", start=dt.date(2024, 3, 1)))
            assert engine.data_days("revenue", "region = 'WEST'") == expected["WEST"]
        assert scans == ["one"]
    finally:
        engine.close()


def test_days_kept_by_an_earlier_generation_are_not_used(
    project: Path, scans: list[str], expected: dict[str, Any]
) -> None:
    engine = Engine(load_project(project))
    try:
        with day_sharing.sharing("fill", 3):
            engine.query(Query(metrics=["revenue"], grain="day", where="region = 'WEST'"))
        engine.clear_cache()  # the data may have grown since
        with day_sharing.sharing("reuse", 3):
            assert engine.data_days("revenue", "region = 'WEST'") == expected["WEST"]
        assert scans == ["one"]
    finally:
        engine.close()

"""A long-lived engine keeps the queries it built: used again while the data bounds they used hold.

Every expectation is hand-written SQL on the same DuckDB file (or a count by hand).
"""

from __future__ import annotations

import datetime as dt
import textwrap
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
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: buyers, agg: count_distinct, expr: buyer}
metrics:
  - {name: revenue, measure: revenue}
  - {name: buyers, measure: buyers}
  - {name: revenue_mtd, type: cumulative, metric: revenue, grain_to_date: month}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "onpace.yml").write_text(
        "name: shop\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\n", encoding="utf-8"
    )
    (tmp_path / "models" / "m.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    _sql(
        tmp_path,
        """
        create table sales as
        select d::date as day, r.region, r.amount::double as amount, (extract(day from d) % 4)::int as buyer
        from range('2024-01-01'::date, '2024-03-01'::date, interval 1 day) t(d),
             (values ('NORTH', 10.0), ('SOUTH', 20.0)) r(region, amount)
        """,
    )
    return tmp_path


def _sql(root: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(root / "data.duckdb"))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _expected(root: Path, grain: str) -> dict[dt.date, tuple[float, int]]:
    rows = _sql(
        root,
        f"select date_trunc('{grain}', day)::date, sum(amount), count(distinct buyer) from sales group by 1 order by 1",
    )
    return {period: (float(total), int(buyers)) for period, total, buyers in rows}


def _got(table: Any) -> dict[dt.date, tuple[float, int]]:
    return {row["period"]: (row["revenue"], row["buyers"]) for row in table.to_pylist()}


MONTHS = Query(metrics=["revenue", "buyers"], grain="month")


def test_the_same_query_is_built_once_while_the_bounds_hold(root: Path) -> None:
    expected = _expected(root, "month")
    with Engine(load_project(root)) as engine:
        first, _ = engine.build(MONTHS)
        again, _ = engine.build(Query(metrics=["revenue", "buyers"], grain="month"))
        assert again.expr is first.expr
        assert _got(engine.query(MONTHS)) == expected
        assert engine.build(Query(metrics=["revenue", "buyers"], grain="week"))[0].expr is not first.expr


def test_a_query_is_built_again_when_the_data_grew(root: Path) -> None:
    expected = _expected(root, "month")
    with Engine(load_project(root)) as engine:
        assert _got(engine.query(MONTHS)) == expected
        first, _ = engine.build(MONTHS)
        engine.release()
        _sql(root, "insert into sales values ('2024-03-02', 'NORTH', 7.0, 9)")
        expected = _expected(root, "month")
        engine.clear_cache()
        again, _ = engine.build(MONTHS)
        assert again.expr is not first.expr  # another last period: March
        got = _got(engine.query(MONTHS))
        assert got == expected
        assert got[dt.date(2024, 3, 1)] == (7.0, 1)  # by hand: one row


def test_a_kept_build_reads_the_kept_days_again(root: Path) -> None:
    """Within a refresh's day sharing, a build used again reads the days as they are now."""
    days = Query(metrics=["revenue", "revenue_mtd"], grain="day", start=dt.date(2024, 2, 20))
    with Engine(load_project(root)) as engine:
        with day_sharing.sharing("reuse", 3):
            engine.query(MONTHS)
            first, _ = engine.build(days)
        engine.release()
        # a late change inside the lookback; the bounds stay as they were (the last day is the same)
        _sql(root, "update sales set amount = 110.0 where day = '2024-02-28' and region = 'NORTH'")
        expected_months = _expected(root, "month")
        rows = _sql(
            root,
            """
            select day, sum(amount), sum(sum(amount)) over (partition by date_trunc('month', day) order by day)
            from sales group by day order by day
            """,
        )
        engine.clear_cache()
        with day_sharing.sharing("reuse", 3):
            again, _ = engine.build(days)
            assert again.expr is first.expr  # the same expression, other kept days
            table = engine.query(days)
            months = _got(engine.query(MONTHS))
        assert months == expected_months
        by_day = {row["period"]: (row["revenue"], row["revenue_mtd"]) for row in table.to_pylist()}
        expected = {day: (float(total), float(mtd)) for day, total, mtd in rows if day >= dt.date(2024, 2, 20)}
        assert by_day == expected
        assert by_day[dt.date(2024, 2, 28)][0] == 130.0  # by hand: 110 + 20


def test_kept_days_are_not_left_on_the_connection(root: Path) -> None:
    with Engine(load_project(root)) as engine, day_sharing.sharing("reuse", 3):
        for grain in ("day", "week", "month", "quarter"):
            engine.query(Query(metrics=["revenue"], grain=grain))
        con = engine.backend("warehouse").con
        names = [row[0] for row in con.execute("select view_name from duckdb_views()").fetchall()]
        assert not [name for name in names if name.startswith("onpace_kept_")]


def test_the_oldest_builds_are_dropped_first(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "MAX_BUILDS", 2)
    queries = [Query(metrics=["revenue"], grain=grain) for grain in ("day", "week", "month")]
    with Engine(load_project(root)) as engine:
        built = [engine.build(query)[0].expr for query in queries]
        assert engine.build(queries[2])[0].expr is built[2]
        assert engine.build(queries[1])[0].expr is built[1]
        assert engine.build(queries[0])[0].expr is not built[0]  # the oldest: dropped when the third came


def test_a_day_more_in_the_last_period_keeps_the_build_and_reads_it(root: Path) -> None:
    from onpace.engine import days_read, partial_periods

    _sql(root, "delete from sales where day = '2024-02-29'")
    with Engine(load_project(root)) as engine:
        first, _ = engine.build(MONTHS)
        engine.release()
        _sql(root, "insert into sales values ('2024-02-29', 'NORTH', 5.0, 2)")
        expected = _expected(root, "month")
        engine.clear_cache()
        again, _ = engine.build(MONTHS)
        assert again.expr is first.expr  # the same periods and dates: February is still the last
        table = engine.query(MONTHS)
        assert _got(table) == expected
        assert expected[dt.date(2024, 2, 1)][0] == 28 * 30.0 + 5.0  # by hand: 28 days x (10 + 20), then 5
        assert days_read(table) == (dt.date(2024, 1, 1), dt.date(2024, 2, 29))  # the new last day
        assert partial_periods(table) == []  # February is whole now


def test_builds_are_forgotten_when_a_table_has_other_columns(root: Path) -> None:
    with Engine(load_project(root)) as engine:
        first, _ = engine.build(MONTHS)
        engine.release()
        _sql(root, "alter table sales alter column amount type decimal(10, 2)")  # the file changes, and a column
        expected = _expected(root, "month")
        engine.clear_cache()
        again, _ = engine.build(MONTHS)
        assert again.expr is not first.expr
        assert _got(engine.query(MONTHS)) == expected

"""Compiled SQL kept by shape (onpace.engine.compiled): the same numbers, with the dates put in.

Data (DuckDB): table ``sales``, one row per day and region from 2024-01-01 to 2024-06-30:
NORTH sells 10 a day, SOUTH 20 (a leap year: January 31 days, February 29, ...). The
expected values are days x amount by hand, and hand-written SQL over the same file.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.engine.compiled import CompiledSql, date_sql, shape_of
from onpace.engine.ibis_internals import named_memtable

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
  - {name: trailing, type: cumulative, metric: revenue, window: 7 days}
  - name: growth
    type: derived
    expr: revenue / revenue_last_month - 1
    inputs:
      - {metric: revenue}
      - {metric: revenue, alias: revenue_last_month, offset: 1 month}
"""


@pytest.fixture()
def project_dir(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "onpace.yml").write_text("name: shop\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\n")
    (tmp_path / "models" / "m.yml").write_text(MODELS)
    con = duckdb.connect(str(tmp_path / "data.duckdb"))
    con.execute("""
        create table sales as
        select d::date as day, r.region, r.amount
        from range(date '2024-01-01', date '2024-07-01', interval 1 day) t(d),
             (values ('NORTH', 10.0::double), ('SOUTH', 20.0::double)) r(region, amount)
    """)
    con.close()
    # the hand-written SQL reads its own copy: the engine holds the project's file open
    shutil.copyfile(tmp_path / "data.duckdb", tmp_path / "hand.duckdb")
    return tmp_path


@pytest.fixture()
def engine(project_dir: Path) -> Iterator[Engine]:
    with Engine(load_project(project_dir)) as engine:
        yield engine


def _hand(project_dir: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(project_dir / "hand.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _cache(engine: Engine) -> CompiledSql:
    return engine._compiled["warehouse"]


# -- shapes ---------------------------------------------------------------------------------------
T = ibis.table({"d": "date", "x": "int64"}, name="t")


def _between(lo: dt.date, hi: dt.date, limit: int = 0) -> ibis.Table:
    rows = T.filter((T.d >= ibis.literal(lo, type="date")) & (T.d <= ibis.literal(hi, type="date")))
    return rows.filter(rows.x > limit).aggregate(s=rows.x.sum())


def test_expressions_that_differ_in_their_dates_only_have_one_shape() -> None:
    intern: dict[object, int] = {}
    a = shape_of(_between(dt.date(2024, 1, 1), dt.date(2024, 1, 31)).op(), intern)
    b = shape_of(_between(dt.date(2025, 3, 1), dt.date(2025, 3, 9)).op(), intern)
    assert a.key == b.key
    assert a.dates == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert b.dates == (dt.date(2025, 3, 1), dt.date(2025, 3, 9))


def test_anything_but_the_dates_changes_the_shape() -> None:
    intern: dict[object, int] = {}
    base = shape_of(_between(dt.date(2024, 1, 1), dt.date(2024, 1, 31)).op(), intern)
    other_number = shape_of(_between(dt.date(2024, 1, 1), dt.date(2024, 1, 31), limit=5).op(), intern)
    # the same date twice is another shape than two dates: the SQL may use that they are equal
    same_day = shape_of(_between(dt.date(2024, 1, 1), dt.date(2024, 1, 1)).op(), intern)
    assert len({base.key, other_number.key, same_day.key}) == 3
    assert same_day.dates == (dt.date(2024, 1, 1),)


def test_in_memory_tables_are_parameters_by_position_and_schema() -> None:
    intern: dict[object, int] = {}
    import pyarrow as pa

    def query(days: list[dt.date], name: str) -> ibis.Table:
        periods = named_memtable(name, pa.table({"p": pa.array(days, pa.date32())}))
        return periods.aggregate(n=periods.p.count())

    a = shape_of(query([dt.date(2024, 1, 1)], "onpace_p_a").op(), intern)
    b = shape_of(query([dt.date(2024, 2, 1), dt.date(2024, 3, 1)], "onpace_p_b").op(), intern)
    assert a.key == b.key
    assert (a.tables, b.tables) == (("onpace_p_a",), ("onpace_p_b",))


def test_unbound_tables_are_parameters_by_position_and_schema() -> None:
    """The days a refresh keeps are read from an unbound table named after the query and its days."""
    intern: dict[object, int] = {}

    def query(name: str, columns: dict[str, str] | None = None) -> ibis.Table:
        kept = ibis.table(columns or {"t": "date", "v": "float64"}, name=name)
        return kept.aggregate(s=kept.v.sum())

    a = shape_of(query("onpace_kept_a").op(), intern)
    b = shape_of(query("onpace_kept_b").op(), intern)
    other_schema = shape_of(query("onpace_kept_c", {"t": "date", "v": "int64"}).op(), intern)
    assert a.key == b.key != other_schema.key
    assert (a.tables, b.tables) == (("onpace_kept_a",), ("onpace_kept_b",))


def test_a_template_puts_in_the_names_of_unbound_tables() -> None:
    compiled = CompiledSql("duckdb", lambda e: ibis.to_sql(e, dialect="duckdb"))
    for i in range(6):
        kept = ibis.table({"t": "date", "v": "float64"}, name=f"onpace_kept_{i:016x}")
        rows = kept.filter(kept.t >= ibis.literal(dt.date(2024, 1, 1 + i), type="date"))
        expr = rows.aggregate(s=rows.v.sum())
        assert compiled.sql(expr) == str(ibis.to_sql(expr, dialect="duckdb"))
    assert (compiled.compiles, compiled.hits) == (2, 4)  # compiled the first two times, then from the template


def test_a_large_shared_graph_takes_linear_time() -> None:
    """Each step reads the one before twice: as nested tuples, 2**60 leaves to hash."""
    expr = ibis.literal(1)
    for _ in range(60):
        expr = expr + expr
    shape = shape_of(expr.op(), {})
    assert hash(shape.key) == hash(shape_of(expr.op(), {}).key)


# -- the SQL of a shape -----------------------------------------------------------------------------
def test_the_template_gives_the_sql_ibis_compiles() -> None:
    compiled = CompiledSql("duckdb", lambda e: ibis.to_sql(e, dialect="duckdb"))
    ranges = [(dt.date(2024, 1, 1), dt.date(2024, 1, 31)), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))]
    ranges += [(dt.date(2024, m, 1), dt.date(2024, m, 9)) for m in range(3, 13)]
    for lo, hi in ranges:
        expr = _between(lo, hi)
        assert compiled.sql(expr) == str(ibis.to_sql(expr, dialect="duckdb"))
    assert compiled.hits == len(ranges) - 2  # compiled the first two times, then from the template


def test_dates_are_written_as_the_dialect_writes_them() -> None:
    day = dt.date(2024, 2, 29)
    assert date_sql("duckdb", day) == "MAKE_DATE(2024, 2, 29)"
    assert date_sql("mysql", day) == "DATE('2024-02-29')"


def test_a_shape_whose_sql_depends_on_its_dates_otherwise_is_never_templated() -> None:
    """A compiler that writes something of a date elsewhere than in its literal: the check refuses it."""

    def compile_with_comment(expr: ibis.Expr) -> str:
        sql = str(ibis.to_sql(expr, dialect="duckdb"))
        days = sorted(op.value for op in expr.op().find(ibis.expr.operations.Literal) if op.dtype.is_date())
        return f"-- from {days[0].year}\n{sql}"

    compiled = CompiledSql("duckdb", compile_with_comment)
    for lo, hi in [(dt.date(2024, 1, 1), dt.date(2024, 1, 31))] * 2 + [(dt.date(2025, 1, 1), dt.date(2025, 1, 31))]:
        expr = _between(lo, hi)
        assert compiled.sql(expr) == compile_with_comment(expr)
    assert compiled.hits == 0


def test_threads_asking_at_once_each_get_their_own_dates() -> None:
    compiled = CompiledSql("duckdb", lambda e: ibis.to_sql(e, dialect="duckdb"))
    wrong: list[str] = []

    def ask(month: int) -> None:
        for day in range(1, 20):
            expr = _between(dt.date(2024, month, day), dt.date(2024, month, day + 5))
            if compiled.sql(expr) != str(ibis.to_sql(expr, dialect="duckdb")):
                wrong.append(f"{month}/{day}")

    threads = [threading.Thread(target=ask, args=(month,)) for month in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert compiled.hits > 0


# -- through the engine -----------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["revenue", "running", "trailing", "growth"])
def test_an_engine_asked_again_with_other_dates_gives_the_right_numbers(
    engine: Engine, project_dir: Path, metric: str
) -> None:
    starts = [dt.date(2024, 3, d) for d in (1, 2, 5, 9, 20)] + [dt.date(2024, 4, 1), dt.date(2024, 5, 17)]
    for start in starts:
        end = start + dt.timedelta(days=20)
        got = engine.query(Query(metrics=[metric], grain="day", start=start, end=end)).to_pylist()
        want = _expected(project_dir, metric, start, end)
        assert [row["period"] for row in got] == [day for day, _ in want], (metric, start)
        assert [row[metric] for row in got] == pytest.approx([value for _, value in want]), (metric, start)
    # ranges that cross a quarter or a month differently are other shapes: some are compiled again
    assert _cache(engine).hits >= 2


def _expected(project_dir: Path, metric: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, float]]:
    """The metric by day from ``start`` to ``end``, by hand-written SQL."""
    daily = "select day, sum(amount) as v from sales group by day"
    value = {
        "revenue": "d.v",
        "running": "(select sum(v) from daily x where x.day between date_trunc('quarter', d.day)::date and d.day)",
        "trailing": "(select sum(v) from daily x where x.day between d.day - 6 and d.day)",
        "growth": "d.v / (select v from daily x where x.day = (d.day - interval 1 month)::date) - 1",
    }[metric]
    sql = f"with daily as ({daily}) select d.day, {value} from daily d where d.day between ? and ? order by d.day"
    return [(day, float(v)) for day, v in _hand(project_dir, sql, start, end)]


def test_by_month_and_region_with_other_ranges(engine: Engine, project_dir: Path) -> None:
    for first, last in [(1, 3), (2, 4), (3, 6), (1, 6)]:
        start, end = dt.date(2024, first, 1), dt.date(2024, last + 1, 1) - dt.timedelta(days=1)
        got = engine.query(Query(metrics=["revenue"], grain="month", dimensions=["region"], start=start, end=end))
        want = _hand(
            project_dir,
            "select date_trunc('month', day)::date, region, sum(amount) from sales where day between ? and ? "
            "group by all order by 1, 2",
            start,
            end,
        )
        assert [(r["period"], r["region"], r["revenue"]) for r in got.to_pylist()] == [
            (p, region, pytest.approx(float(v))) for p, region, v in want
        ]
    assert _cache(engine).hits >= 1


def test_data_that_grows_between_queries_is_read(project_dir: Path) -> None:
    """The SQL is kept, not the results: a day appended to the table is in the next answer."""
    with Engine(load_project(project_dir)) as engine:
        query = Query(metrics=["revenue"], grain="month", start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 30))
        for _ in range(3):
            before = engine.query(query).column("revenue").to_pylist()
        engine.release()
        con = duckdb.connect(str(project_dir / "data.duckdb"))
        con.execute("insert into sales values (date '2024-06-30', 'WEST', 1000.0)")
        con.close()
        after = engine.query(query).column("revenue").to_pylist()
        assert _cache(engine).hits >= 1
    assert before == [30 * 30.0]
    assert after == [30 * 30.0 + 1000.0]

"""Sums and counts read by day once and rolled up to every grain (onpace.engine.days).

Inside ``days.sharing(...)`` the engine reads the additive leaves of a DuckDB source by day,
keeps those days in ``Engine.days`` and rolls every period up from them. The answers must be
those of a query that reads its own rows; kept days are trusted within a generation, and in a
later one (``clear_cache()``) only up to the lookback in ``reuse`` mode, never in ``fill`` mode.

Expected numbers come from SQL written by hand on the same DuckDB file (``duckdb`` module) or
are worked out by hand; test (1) also compares the two engine paths with each other.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from onpace.catalog import models as m
from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.engine import days as day_sharing
from onpace.engine import engine as engine_module
from onpace.engine import plan as p
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store

SOURCE = "name: shop\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\n"


def _project(root: Path, models: str, config: str = SOURCE) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "onpace.yml").write_text(config, encoding="utf-8")
    (root / "models" / "m.yml").write_text(textwrap.dedent(models), encoding="utf-8")
    return root


def _sql(root: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Hand-written SQL on the project's DuckDB file (the engine must not hold it: release() first)."""
    con = duckdb.connect(str(root / "data.duckdb"))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _one(root: Path, sql: str, params: list[Any] | None = None) -> Any:
    return _sql(root, sql, params)[0][0]


# -- (1) every kind of metric: shared days give the answers of a query reading its own rows -------

KINDS = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
      - {name: status, column: status}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: lines, agg: count}
      - {name: ok_lines, agg: count, filter: "status = 'ok'"}
      - {name: customers, agg: count_distinct, expr: customer}
      - {name: median_amount, agg: median, expr: amount}
metrics:
  - {name: revenue, measure: revenue}
  - {name: lines, measure: lines}
  - {name: ok_lines, measure: ok_lines}
  - {name: big_revenue, measure: revenue, filter: "amount >= 25"}
  - {name: revenue_or_null, measure: revenue, empty_periods: null}
  - {name: lines_or_null, measure: lines, empty_periods: null}
  - {name: customers, measure: customers}
  - {name: median_amount, measure: median_amount}
  - {name: ok_share, type: ratio, numerator: ok_lines, denominator: lines}
  - name: revenue_yoy
    type: derived
    expr: revenue / revenue_last_year - 1
    inputs: [{metric: revenue, alias: revenue_last_year, offset: 1 year}]
  - name: lines_change
    type: derived
    expr: lines_or_null - previous_lines
    inputs: [{metric: lines_or_null, alias: previous_lines, offset: 1 period}]
  - {name: revenue_28d, type: cumulative, metric: revenue, window: 28 days}
  - {name: revenue_qtd, type: cumulative, metric: revenue, grain_to_date: quarter}
  - {name: lines_to_date, type: cumulative, metric: lines}
  - {name: customers_3m, type: cumulative, metric: customers, window: 3 months}
  - {name: closing_amount, type: semi_additive, dataset: sales, expr: amount, over_time: last}
"""
ALL = [
    "revenue",
    "lines",
    "ok_lines",
    "big_revenue",
    "revenue_or_null",
    "lines_or_null",
    "customers",
    "median_amount",
    "ok_share",
    "revenue_yoy",
    "lines_change",
    "revenue_28d",
    "revenue_qtd",
    "lines_to_date",
    "customers_3m",
    "closing_amount",
]

# 2023-01-01..2024-06-15, 1 to 3 rows a day and region; no row at all in August 2023, none of
# WEST before June 2023 nor in February 2024 (empty periods, in total and by region)
KINDS_DATA = """
create table sales as
select d::date as day, r.region, k.k,
       'c' || ((dayofyear(d) + k.k * 3 + r.ri) % 7) as customer,
       (((dayofyear(d) * 7 + r.ri * 13 + k.k * 5) % 50) + 1.5)::double as amount,
       case when (dayofyear(d) + k.k) % 5 = 0 then 'cancelled' else 'ok' end as status
from range(date '2023-01-01', date '2024-06-16', interval 1 day) t(d),
     (values ('NORTH', 0), ('SOUTH', 1), ('WEST', 2)) r(region, ri),
     range(1, 4) k(k)
where k.k <= 1 + (day(d) + r.ri) % 3
  and not (d >= date '2023-08-01' and d < date '2023-09-01')
  and not (r.region = 'WEST' and d < date '2023-06-01')
  and not (r.region = 'WEST' and d >= date '2024-02-01' and d < date '2024-03-01')
"""

GRAINS = ["day", "week", "month", "quarter", "year"]
VARIANTS: dict[str, dict[str, Any]] = {
    "total": {},
    "segment": {"where": "region <> 'SOUTH'"},
    "by_region": {"dimensions": ["region"]},
    "cut_range": {"start": dt.date(2023, 2, 10), "end": dt.date(2024, 5, 20), "dimensions": ["region"]},
}


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("kinds") / "p", KINDS)
    _sql(root, KINDS_DATA)
    return root


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def _same(left: pa.Table, right: pa.Table, what: str) -> None:
    assert left.schema.names == right.schema.names, what
    assert left.schema.types == right.schema.types, what
    assert left.num_rows == right.num_rows, what
    for i, (a, b) in enumerate(zip(_rows(left), _rows(right), strict=True)):
        for name in left.schema.names:
            x, y = a[name], b[name]
            if isinstance(x, float) and isinstance(y, float):
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), f"{what} row {i} {name}: {x} != {y}"
            else:
                assert x == y, f"{what} row {i} {name}: {x!r} != {y!r}"


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_metric_kind_is_the_same_with_shared_days(kinds: Path, variant: str) -> None:
    project = load_project(kinds)
    queries = {grain: Query(metrics=ALL, grain=grain, **VARIANTS[variant]) for grain in GRAINS}
    with Engine(project) as alone:
        expected = {grain: alone.query(q) for grain, q in queries.items()}
    with Engine(project) as shared:
        with day_sharing.sharing("fill", 3):
            for grain, q in queries.items():
                _same(shared.query(q), expected[grain], f"fill {variant} {grain}")
        assert len(shared.days) > 0  # the days were kept
        with day_sharing.sharing("reuse", 3):  # the same generation: every day kept is read from memory
            for grain, q in reversed(queries.items()):
                _same(shared.query(q), expected[grain], f"reuse {variant} {grain}")
        shared.clear_cache()  # a later generation, the data unchanged: the days up to the lookback kept
        with day_sharing.sharing("reuse", 3):
            for grain, q in queries.items():
                _same(shared.query(q), expected[grain], f"reuse, next generation, {variant} {grain}")
    with Engine(project) as one_by_one, day_sharing.sharing("reuse", 3):
        # a fresh cache, each metric alone: leaves are added to the kept days one query at a time
        for name in ALL:
            q = Query(metrics=[name], grain="month", **VARIANTS[variant])
            columns = ["period", *q.dimensions, name]
            _same(one_by_one.query(q), expected["month"].select(columns), f"alone {variant} {name}")


def test_shared_days_spot_checked_against_sql(kinds: Path) -> None:
    with Engine(load_project(kinds)) as engine, day_sharing.sharing("reuse", 3):
        month = engine.query(Query(metrics=ALL, grain="month", where="region <> 'SOUTH'"))
        quarter = engine.query(Query(metrics=ALL, grain="quarter", dimensions=["region"]))
        week = engine.query(Query(metrics=ALL, grain="week"))
        day = engine.query(Query(metrics=ALL, grain="day", dimensions=["region"]))
    by_month = {r["period"]: r for r in _rows(month)}
    by_quarter = {(r["period"], r["region"]): r for r in _rows(quarter)}
    by_week = {r["period"]: r for r in _rows(week)}
    by_day = {(r["period"], r["region"]): r for r in _rows(day)}

    # revenue of March 2024 outside SOUTH
    assert by_month[dt.date(2024, 3, 1)]["revenue"] == pytest.approx(
        _one(
            kinds, "select sum(amount) from sales where region <> 'SOUTH' and day between '2024-03-01' and '2024-03-31'"
        )
    )
    # an empty month: 0 for a sum, null with empty_periods: null, and null for the change from it
    assert by_month[dt.date(2023, 8, 1)]["revenue"] == 0.0
    assert by_month[dt.date(2023, 8, 1)]["revenue_or_null"] is None
    assert by_month[dt.date(2023, 9, 1)]["lines_change"] is None
    # lines with status ok of WEST in 2024-Q1 (none in February), and the share of ok lines
    ok, lines = _sql(
        kinds,
        "select count(*) filter (where status = 'ok'), count(*) from sales"
        " where region = 'WEST' and day between '2024-01-01' and '2024-03-31'",
    )[0]
    assert by_quarter[(dt.date(2024, 1, 1), "WEST")]["ok_lines"] == ok
    assert by_quarter[(dt.date(2024, 1, 1), "WEST")]["ok_share"] == pytest.approx(ok / lines)
    # the week of Monday 2024-01-08 against the week holding 2023-01-08 (a Sunday): Monday 2023-01-02
    now = _one(kinds, "select sum(amount) from sales where day between '2024-01-08' and '2024-01-14'")
    before = _one(kinds, "select sum(amount) from sales where day between '2023-01-02' and '2023-01-08'")
    assert by_week[dt.date(2024, 1, 8)]["revenue_yoy"] == pytest.approx(now / before - 1)
    # the 28 days to 2024-05-20 of NORTH, and its quarter to date
    assert by_day[(dt.date(2024, 5, 20), "NORTH")]["revenue_28d"] == pytest.approx(
        _one(
            kinds, "select sum(amount) from sales where region = 'NORTH' and day between '2024-04-23' and '2024-05-20'"
        )
    )
    assert by_day[(dt.date(2024, 5, 20), "NORTH")]["revenue_qtd"] == pytest.approx(
        _one(
            kinds, "select sum(amount) from sales where region = 'NORTH' and day between '2024-04-01' and '2024-05-20'"
        )
    )


# -- (2) a later generation: the days from the lookback on are read again, older ones kept ---------

SALES = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: lines, agg: count}
metrics:
  - {name: revenue, measure: revenue}
  - {name: lines, measure: lines}
"""
FIRST, LAST = dt.date(2024, 1, 1), dt.date(2024, 3, 31)
MONTH = Query(metrics=["revenue"], grain="month")


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    """``sales``: one row a day and region from 2024-01-01 to 2024-03-31, NORTH 10, SOUTH 20."""
    root = _project(tmp_path / "p", SALES)
    _sql(
        root,
        """
        create table sales as
        select d::date as day, r.region, r.amount::double as amount
        from range(?::date, ?::date + 1, interval 1 day) t(d), (values ('NORTH', 10.0), ('SOUTH', 20.0)) r(region, amount)
        """,
        [FIRST, LAST],
    )
    return root


def _months(root: Path) -> dict[dt.date, float]:
    rows = _sql(root, "select date_trunc('month', day)::date, sum(amount) from sales group by 1")
    return {period: float(value) for period, value in rows}


def _by_period(table: pa.Table, metric: str = "revenue") -> dict[dt.date, Any]:
    return {row["period"]: row[metric] for row in table.to_pylist()}


def test_a_later_generation_rereads_the_lookback_and_keeps_older_days(sales: Path) -> None:
    first = _months(sales)
    assert first[dt.date(2024, 3, 1)] == 930.0  # by hand: 31 days x 30
    engine = Engine(load_project(sales))
    try:
        with day_sharing.sharing("reuse", 3):
            assert _by_period(engine.query(MONTH)) == first

        # (a) a new day, and a row 1 day before it changed: both inside the lookback
        engine.release()  # the file is written by another connection (see Engine.release)
        _sql(sales, "insert into sales values ('2024-04-01', 'NORTH', 5.0)")
        _sql(sales, "update sales set amount = 110.0 where day = '2024-03-31' and region = 'NORTH'")
        engine.clear_cache()
        before = _months(sales)
        assert before[dt.date(2024, 3, 1)] == 1030.0 and before[dt.date(2024, 4, 1)] == 5.0  # by hand
        with day_sharing.sharing("reuse", 3):
            assert _by_period(engine.query(MONTH)) == before

        # (b) a row 20 days before the last day changed: older than the lookback
        engine.release()
        _sql(sales, "update sales set amount = 1010.0 where day = '2024-03-12' and region = 'NORTH'")
        after = _months(sales)
        assert after[dt.date(2024, 3, 1)] == before[dt.date(2024, 3, 1)] + 1000.0
        engine.clear_cache()
        with day_sharing.sharing("reuse", 3):  # the incremental contract: rows that old do not change
            assert _by_period(engine.query(MONTH)) == before
        with day_sharing.sharing("fill", 3):  # a full refresh reads every day again
            assert _by_period(engine.query(MONTH)) == after
        with day_sharing.sharing("reuse", 3):  # and keeps them: the same generation
            assert _by_period(engine.query(MONTH)) == after
        engine.clear_cache()
        with day_sharing.sharing("reuse", 3):  # the next incremental refresh starts from the full one's days
            assert _by_period(engine.query(MONTH)) == after
    finally:
        engine.close()


# -- (3) within a generation, a query at another grain reads no row again ------------------------


@pytest.fixture
def source_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every query the engine runs on DuckDB that reads the ``sales`` table."""
    reads: list[str] = []
    run = engine_module.duckdb_sql_to_arrow

    def counted(backend: Any, expr: Any, sql: str) -> pa.Table:
        if '"sales"' in sql:
            reads.append(sql)
        return run(backend, expr, sql)

    monkeypatch.setattr(engine_module, "duckdb_sql_to_arrow", counted)
    return reads


DAYS = Query(metrics=["revenue"], grain="day", start=FIRST, end=LAST)
MONTHS = Query(metrics=["revenue"], grain="month", start=FIRST, end=LAST)


def test_a_month_query_after_a_day_query_reads_no_row_again(sales: Path, source_reads: list[str]) -> None:
    expected = _months(sales)
    lines = dict(_sql(sales, "select date_trunc('month', day)::date, count(*) from sales group by 1"))
    assert lines[dt.date(2024, 2, 1)] == 58  # by hand: 29 days x 2 regions
    with Engine(load_project(sales)) as alone:
        alone.query(DAYS)
        source_reads.clear()
        assert _by_period(alone.query(MONTHS)) == expected
        unshared = len(source_reads)
    with Engine(load_project(sales)) as engine, day_sharing.sharing("reuse", 3):
        engine.query(DAYS)
        source_reads.clear()
        assert _by_period(engine.query(MONTHS)) == expected
        shared = len(source_reads)
        # another measure of the same dataset, not kept yet: read from the source, and right
        source_reads.clear()
        both = engine.query(Query(metrics=["revenue", "lines"], grain="month", start=FIRST, end=LAST))
        assert _by_period(both, "lines") == lines
        assert _by_period(both) == expected
        assert len(source_reads) >= 1
        # now kept too: a quarter of lines reads nothing from the source
        source_reads.clear()
        quarter = engine.query(Query(metrics=["lines"], grain="quarter", start=FIRST, end=LAST))
        assert _by_period(quarter, "lines") == {FIRST: sum(lines.values())}
        assert source_reads == []
    assert unshared >= 1
    assert shared == 0


# -- (4) DayCache alone ------------------------------------------------------------------------

REVENUE = p.Leaf("sales", "day", m.Agg.sum, "amount", ())
LINES = p.Leaf("sales", "day", m.Agg.count, None, ())
KEY = day_sharing.DayKey("warehouse", "sales", "day", None, ())
D0 = dt.date(2024, 1, 1)
DATA_LAST = dt.date(2024, 2, 29)  # day 59


def _day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


class FakeSource:
    """A compute that makes one row a day (each leaf's value: the day's number + 1) and records what it was asked."""

    def __init__(self, last: dt.date = DATA_LAST) -> None:
        self.asked: list[tuple[dt.date, dt.date]] = []
        self.last = last  # the data's last day: no row after it

    def __call__(self, columns: dict[p.Leaf, str], lo: dt.date, hi: dt.date) -> pa.Table:
        self.asked.append((lo, hi))
        days = [lo + dt.timedelta(days=i) for i in range((min(hi, self.last) - lo).days + 1)]
        values = [float((d - D0).days + 1) for d in days]
        return pa.table({day_sharing.TIME: pa.array(days, pa.date32()), **{c: values for c in columns.values()}})


def _values(table: pa.Table, column: str) -> dict[dt.date, float]:
    return dict(zip(table.column(day_sharing.TIME).to_pylist(), table.column(column).to_pylist(), strict=True))


def test_the_limit_drops_the_least_recently_used_entry() -> None:
    cache = day_sharing.DayCache(limit=2)
    source = FakeSource()
    keys = [day_sharing.DayKey("warehouse", "sales", "day", where, ()) for where in (None, "a = 1", "a = 2")]
    cache.days(keys[0], [REVENUE], _day(0), _day(9), day_sharing.Sharing("reuse", 3), source)
    cache.days(keys[1], [REVENUE], _day(0), _day(9), day_sharing.Sharing("reuse", 3), source)
    cache.days(
        keys[0], [REVENUE], _day(0), _day(9), day_sharing.Sharing("reuse", 3), source
    )  # kept: keys[1] is now the oldest
    assert len(source.asked) == 2
    cache.days(keys[2], [REVENUE], _day(0), _day(9), day_sharing.Sharing("reuse", 3), source)
    assert len(cache) == 2
    cache.days(keys[0], [REVENUE], _day(0), _day(9), day_sharing.Sharing("reuse", 3), source)  # still kept
    assert len(source.asked) == 3
    cache.days(keys[1], [REVENUE], _day(0), _day(9), day_sharing.Sharing("reuse", 3), source)  # dropped: read again
    assert source.asked[3:] == [(_day(0), _day(9))]


def test_reuse_in_a_new_generation_reads_from_the_last_kept_day_minus_the_lookback() -> None:
    cache = day_sharing.DayCache()
    source = FakeSource(last=_day(30))
    table, columns = cache.days(KEY, [REVENUE], _day(0), _day(30), day_sharing.Sharing("reuse", 3), source)
    assert source.asked == [(_day(0), _day(30))]
    assert _values(table, columns[REVENUE]) == {_day(i): i + 1.0 for i in range(31)}
    # the same generation: nothing read again, a shorter range cut from the kept days
    table, columns = cache.days(KEY, [REVENUE], _day(5), _day(9), day_sharing.Sharing("reuse", 3), source)
    assert len(source.asked) == 1
    assert _values(table, columns[REVENUE]) == {_day(i): i + 1.0 for i in range(5, 10)}

    cache.new_generation()
    source.last = _day(32)  # two more days arrived
    table, columns = cache.days(KEY, [REVENUE], _day(0), _day(40), day_sharing.Sharing("reuse", 3), source)
    # the last kept day is day 30: days 27.. are read again, the older ones kept
    assert source.asked[1:] == [(_day(27), _day(40))]
    assert _values(table, columns[REVENUE]) == {_day(i): i + 1.0 for i in range(33)}


def test_reuse_in_a_new_generation_reads_the_days_before_the_kept_ones_too() -> None:
    cache = day_sharing.DayCache()
    source = FakeSource()
    cache.days(KEY, [REVENUE], _day(10), _day(30), day_sharing.Sharing("reuse", 2), source)
    cache.new_generation()
    table, columns = cache.days(KEY, [REVENUE], _day(0), _day(30), day_sharing.Sharing("reuse", 2), source)
    assert source.asked[1:] == [(_day(0), _day(9)), (_day(28), _day(30))]
    assert _values(table, columns[REVENUE]) == {_day(i): i + 1.0 for i in range(31)}


def test_a_leaf_not_kept_yet_reads_every_day_with_the_kept_leaves() -> None:
    cache = day_sharing.DayCache()
    source = FakeSource()
    cache.days(KEY, [REVENUE], _day(0), _day(9), day_sharing.Sharing("reuse", 3), source)
    table, columns = cache.days(KEY, [LINES], _day(5), _day(14), day_sharing.Sharing("reuse", 3), source)
    assert source.asked[1:] == [(_day(0), _day(14))]  # the kept days and the new ones, both leaves
    assert set(columns) == {REVENUE, LINES}
    assert _values(table, columns[LINES]) == {_day(i): i + 1.0 for i in range(5, 15)}
    cache.days(KEY, [REVENUE, LINES], _day(0), _day(14), day_sharing.Sharing("reuse", 3), source)
    assert len(source.asked) == 2


def test_fill_reads_the_whole_range_every_time() -> None:
    cache = day_sharing.DayCache()
    source = FakeSource()
    for _ in range(2):
        cache.days(KEY, [REVENUE], _day(0), _day(30), day_sharing.Sharing("fill", 3), source)
    cache.new_generation()
    cache.days(KEY, [REVENUE], _day(0), _day(30), day_sharing.Sharing("fill", 3), source)
    cache.days(KEY, [REVENUE], _day(3), _day(20), day_sharing.Sharing("fill", 3), source)
    # within a generation a full refresh keeps the days it read: the range asked is merged with them
    assert source.asked == [(_day(0), _day(30))] * 4
    # what fill read is kept for the reuse that follows (the same generation: nothing read)
    table, columns = cache.days(KEY, [REVENUE], _day(3), _day(20), day_sharing.Sharing("reuse", 3), source)
    assert len(source.asked) == 4
    assert _values(table, columns[REVENUE]) == {_day(i): i + 1.0 for i in range(3, 21)}


def test_fill_keeps_every_leaf_read_in_its_generation() -> None:
    cache = day_sharing.DayCache()
    source = FakeSource()
    cache.days(KEY, [REVENUE], _day(0), _day(9), day_sharing.Sharing("fill", 3), source)
    cache.days(KEY, [LINES], _day(0), _day(9), day_sharing.Sharing("fill", 3), source)
    assert source.asked == [(_day(0), _day(9))] * 2
    # the next generation's incremental refresh finds both leaves: it reads only the days from the lookback
    cache.new_generation()
    table, columns = cache.days(KEY, [REVENUE, LINES], _day(0), _day(9), day_sharing.Sharing("reuse", 3), source)
    assert source.asked[2:] == [(_day(6), _day(9))]
    assert _values(table, columns[REVENUE]) == {_day(i): i + 1.0 for i in range(10)}


def test_fresh_from_reads_again_from_an_earlier_day_than_the_lookback() -> None:
    cache = day_sharing.DayCache()
    source = FakeSource()
    cache.days(KEY, [REVENUE], _day(0), _day(30), day_sharing.Sharing("reuse", 3), source)
    cache.new_generation()
    cache.days(KEY, [REVENUE], _day(0), _day(30), day_sharing.Sharing("reuse", 3, fresh_from=_day(10)), source)
    assert source.asked[1:] == [(_day(10), _day(30))]


def test_days_after_the_data_known_to_end_are_not_read() -> None:
    cache = day_sharing.DayCache()
    source = FakeSource(last=_day(20))
    cache.days(KEY, [REVENUE], _day(0), _day(20), day_sharing.Sharing("reuse", 3), source, data_last=_day(20))
    table, _ = cache.days(
        KEY, [REVENUE], _day(0), _day(30), day_sharing.Sharing("reuse", 3), source, data_last=_day(20)
    )
    assert source.asked == [(_day(0), _day(20))]
    assert table.num_rows == 21


# -- (5) refreshes with a long-lived engine store the numbers of the data --------------------------

REFRESHED = """
objectives:
  - {name: grow, owner: CEO}
kpis:
  - {name: monthly, metric: revenue, objective: grow, owner: Sales, timeframe: month, review_cadence: monthly,
     target: {at_least: 1}}
  - {name: north, metric: revenue, segment: "region = 'NORTH'", objective: grow, owner: Sales, timeframe: month,
     review_cadence: monthly, target: {at_least: 1}}
"""
NORTH = "region = 'NORTH'"


def _stored(store: Store, grain: str, segment: str = "") -> dict[dt.date, float | None]:
    with store.session(readonly=True) as s:
        return dict(obs.read_series(s, "revenue", grain, segment))


def _by_sql(root: Path, grain: str, where: str = "true") -> dict[dt.date, float]:
    rows = _sql(root, f"select date_trunc('{grain}', day)::date, sum(amount) from sales where {where} group by 1")
    return {period: float(value) for period, value in rows}


def _check(store: Store, root: Path) -> None:
    """The stored day and month series, in total and of NORTH, equal SQL written by hand."""
    for grain in ("day", "month"):
        assert _stored(store, grain) == _by_sql(root, grain), grain
        assert _stored(store, grain, NORTH) == _by_sql(root, grain, NORTH), grain


def test_refreshes_with_a_long_lived_engine_store_the_numbers_of_the_data(sales: Path, tmp_path: Path) -> None:
    (sales / "models" / "kpis.yml").write_text(textwrap.dedent(REFRESHED), encoding="utf-8")
    (sales / "onpace.yml").write_text(SOURCE + "refresh: {lookback_days: 3}\n", encoding="utf-8")
    project = load_project(sales)
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    engine = Engine(project)
    try:
        result = refresh(project, store, full=True, engine=engine, requested_by="test", evaluate=False)
        assert not result.failures
        engine.release()
        _check(store, sales)
        assert _stored(store, "month")[dt.date(2024, 3, 1)] == 930.0  # by hand: 31 days x (10 + 20)

        # a new day, and a late change 2 days before it (inside the lookback)
        _sql(sales, "insert into sales values ('2024-04-01', 'NORTH', 5.0), ('2024-04-01', 'SOUTH', 7.0)")
        _sql(sales, "update sales set amount = 40.0 where day = '2024-03-30' and region = 'NORTH'")
        result = refresh(project, store, engine=engine, requested_by="test", evaluate=False)
        assert not result.failures and result.mode == "incremental"
        engine.release()
        _check(store, sales)
        assert _stored(store, "month")[dt.date(2024, 4, 1)] == 12.0  # by hand: 5 + 7
        assert _stored(store, "month", NORTH)[dt.date(2024, 3, 1)] == 340.0  # by hand: 31 x 10 + 30

        # a change older than the lookback: an incremental refresh keeps the days it read before,
        # by day and by month alike; a full refresh reads it
        before = {grain: _by_sql(sales, grain) for grain in ("day", "month")}
        _sql(sales, "update sales set amount = 1010.0 where day = '2024-03-12' and region = 'NORTH'")
        refresh(project, store, engine=engine, requested_by="test", evaluate=False)
        engine.release()
        assert _stored(store, "day") == before["day"]
        assert _stored(store, "month") == before["month"]
        refresh(project, store, full=True, engine=engine, requested_by="test", evaluate=False)
        engine.release()
        _check(store, sales)
        assert _stored(store, "month")[dt.date(2024, 3, 1)] == 1960.0  # by hand: 31 x 30 + 30 + 1000
    finally:
        engine.close()
        store.close()


# -- a series whose data ends before its dataset's: its lookback counts from its own last day ------

WEST = """
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
  - {name: revenue, measure: revenue, default_grain: day}
  - {name: west_revenue, measure: revenue, filter: "region = 'WEST'", empty_periods: null, default_grain: day}
"""


def test_a_series_ending_early_rereads_the_days_of_its_own_lookback(tmp_path: Path) -> None:
    """WEST sold until 2024-03-10, the others until 03-31: the incremental refresh recomputes
    west_revenue from 03-07 (its last day minus 3), so a late WEST row on 03-09 reaches it,
    though the kept days of the dataset end 3 days before 03-31."""
    root = _project(tmp_path / "p", WEST, SOURCE + "refresh: {lookback_days: 3}\n")
    _sql(
        root,
        """
        create table sales as
        select d::date as day, 'NORTH' as region, 10.0::double as amount
        from range('2024-01-01'::date, '2024-04-01'::date, interval 1 day) t(d)
        union all
        select d::date, 'WEST', 1.0::double from range('2024-01-01'::date, '2024-03-11'::date, interval 1 day) t(d)
        """,
    )
    project = load_project(root)
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    engine = Engine(project)

    def west(grain: str) -> dict[dt.date, float]:
        with store.session(readonly=True) as s:
            return {k: float(v) for k, v in obs.read_series(s, "west_revenue", grain, "") if v is not None}

    def west_by_sql(grain: str) -> dict[dt.date, float]:
        rows = _sql(
            root, f"select date_trunc('{grain}', day)::date, sum(amount) from sales where region = 'WEST' group by 1"
        )
        return {period: float(value) for period, value in rows}

    try:
        assert not refresh(project, store, full=True, engine=engine, requested_by="t", evaluate=False).failures
        engine.release()
        _sql(root, "update sales set amount = 100.0 where day = '2024-03-09' and region = 'WEST'")
        result = refresh(project, store, engine=engine, requested_by="t", evaluate=False)
        engine.release()
        assert not result.failures and result.mode == "incremental"
        assert west("day")[dt.date(2024, 3, 9)] == 100.0
        assert west("day") == west_by_sql("day")
        assert sum(v for k, v in west("day").items() if k.month == 3) == 109.0  # by hand: 9 days x 1 + 100
    finally:
        engine.close()
        store.close()


def test_refreshes_of_one_more_day_each_compile_no_sql_once_warm(sales: Path, tmp_path: Path) -> None:
    """The queries of an incremental refresh read the kept days under a name of their days: the
    name is a parameter of the compiled SQL (engine/compiled.py), so a long-lived engine compiles
    them twice, then writes them from the template, one more day after another."""
    (sales / "models" / "kpis.yml").write_text(textwrap.dedent(REFRESHED), encoding="utf-8")
    (sales / "onpace.yml").write_text(SOURCE + "refresh: {lookback_days: 3}\n", encoding="utf-8")
    project = load_project(sales)
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    engine = Engine(project)
    compiles: list[int] = []
    try:
        assert not refresh(project, store, full=True, engine=engine, requested_by="t", evaluate=False).failures
        engine.release()
        for n in range(5):
            day = LAST + dt.timedelta(days=n + 1)
            _sql(sales, "insert into sales values (?, 'NORTH', ?), (?, 'SOUTH', 3.0)", [day, 100.0 + n, day])
            result = refresh(project, store, engine=engine, requested_by="t", evaluate=False)
            engine.release()
            assert not result.failures and result.mode == "incremental"
            _check(store, sales)
            compiles.append(engine._compiled["warehouse"].compiles)
        assert _stored(store, "month", NORTH)[dt.date(2024, 4, 1)] == 510.0  # by hand: 100 + ... + 104
    finally:
        engine.close()
        store.close()
    assert compiles[0] > 0  # the first ones compile
    assert compiles[4] == compiles[3] == compiles[2], compiles  # then none: every SQL from its template

"""Several cumulative metrics and many offsets in one query on PostgreSQL and MariaDB (engine/shapes.py).

There the assembler stacks and groups its tables by period and dimensions instead of joining them,
the offsets of a level all read the table the level started from, and PostgreSQL sessions run
without JIT. The numbers must not change: every cell of queries with 1, 3 and 6 cumulative metrics
and with six offsets (one of them over an offset) is compared with values worked out in Python
from the rows themselves (``Reference``), and the cumulative and month-over-month values without
a dimension with SQL written by hand (DuckDB, on the same rows). The channels hold a null, 'WEB',
'web' and 'web ' (four values on every engine) and a channel that sells in December only (a
running total still sees it in February, a 7-day window does not).

The shape is checked through the SQL: no join on a null-safe comparison, and the number of times
the data is read when every reference of a common table expression is evaluated again (as
MariaDB does) grows by the same step with each offset or cumulative metric, where the joined
shape doubled it with each offset.
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp
from tests.soundness.helpers import Loaded, assert_table, backend_project, create_table_sql, d, open_engine

from onpace.engine import Engine, Query, shapes
from onpace.engine.connect import connect

CHANNELS: list[str | None] = ["web", "WEB", None, "store", "web "]


def _rows() -> list[tuple[dt.date, str | None, int]]:
    """Deterministic rows from 2023-12-01 to 2024-03-31: most days one or two rows, some none."""
    rows: list[tuple[dt.date, str | None, int]] = []
    day = d("2023-12-01")
    i = 0
    while day <= d("2024-03-31"):
        if i % 4 != 3:  # every fourth day has no row
            rows.append((day, CHANNELS[i % 5], (i * 7) % 23 + 1))
        if i % 3 == 0:
            rows.append((day, CHANNELS[(i + 2) % 5], (i * 5) % 17 + 2))
        if day.month == 12 and i % 6 == 0:
            rows.append((day, "phone", 100 + i))  # December only
        day += dt.timedelta(days=1)
        i += 1
    return rows


ROWS = _rows()
COLUMNS = ("d", "channel", "amount")
COLUMN_TYPES = {"postgres": ("DATE", "VARCHAR(16)", "INTEGER"), "mysql": ("DATE", "VARCHAR(16)", "INT")}

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
metrics:
  - {{name: revenue, measure: sales.amount}}
  - {{name: orders, dataset: sales, agg: count}}
  - {{name: rev_running, type: cumulative, metric: revenue}}
  - {{name: rev_7d, type: cumulative, metric: revenue, window: 7 days}}
  - {{name: rev_mtd, type: cumulative, metric: revenue, grain_to_date: month}}
  - {{name: rev_28d, type: cumulative, metric: revenue, window: 4 weeks}}
  - {{name: ord_running, type: cumulative, metric: orders}}
  - {{name: ord_7d, type: cumulative, metric: orders, window: 7 days}}
{offsets}
  - name: mom_change
    type: derived
    expr: rev_m1 - before
    inputs: [{{metric: rev_m1, alias: before, offset: 1 period}}]
  - name: dod_ratio
    type: derived
    expr: revenue / before
    inputs: [{{metric: revenue, alias: before, offset: 1 period}}]
"""
# derived metrics: revenue minus revenue some time earlier
OFFSETS = {"rev_d1": "1 period", "rev_d7": "7 periods", "rev_w1": "1 week", "rev_m1": "1 month"}
OFFSETS |= {"rev_q1": "1 quarter", "rev_y1": "1 year"}
OFFSET_MODELS = "\n".join(
    f"  - {{{{name: {name}, type: derived, expr: revenue - before, "
    f"inputs: [{{{{metric: revenue, alias: before, offset: {span}}}}}]}}}}"
    for name, span in OFFSETS.items()
)

CUMULATIVE = ["rev_running", "rev_7d", "rev_mtd", "rev_28d", "ord_running", "ord_7d"]
START, END = d("2024-02-01"), d("2024-03-31")


@pytest.fixture(scope="module", params=["postgres", "mysql"], name="loaded")
def _loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    backend: str = request.param
    root = tmp_path_factory.mktemp(f"shapes-{backend}")
    models = MODELS.replace("{offsets}", OFFSET_MODELS)  # a template: its braces are doubled
    create = create_table_sql(COLUMNS, COLUMN_TYPES)
    with backend_project(backend, request, root, "h_shape", create, ROWS, "", "shapes", models) as made:
        yield made


@pytest.fixture(scope="module", name="engine")
def _engine(loaded: Loaded) -> Iterator[Engine]:
    with open_engine(loaded) as made:
        yield made


# -- the reference: every value worked out from the rows ------------------------------------------
def _months_back(day: dt.date, months: int) -> dt.date:
    """``day`` moved back whole months; a day the earlier month lacks becomes its last day."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, pycal.monthrange(year, month + 1)[1]))


PRIOR: dict[str, Callable[[dt.date], dt.date]] = {
    "rev_d1": lambda day: day - dt.timedelta(days=1),
    "rev_d7": lambda day: day - dt.timedelta(days=7),
    "rev_w1": lambda day: day - dt.timedelta(days=7),
    "rev_m1": lambda day: _months_back(day, 1),
    "rev_q1": lambda day: _months_back(day, 3),
    "rev_y1": lambda day: _months_back(day, 12),
}


class Reference:
    """The query's table worked out from ``ROWS``: values, and the channels its metrics read (the spine)."""

    def __init__(self, by_channel: bool) -> None:
        self.by_channel = by_channel
        self.amount: dict[tuple[dt.date, Any], int] = {}
        self.count: dict[tuple[dt.date, Any], int] = {}
        for day, channel, amount in ROWS:
            key = (day, channel if by_channel else "all")
            self.amount[key] = self.amount.get(key, 0) + amount
            self.count[key] = self.count.get(key, 0) + 1

    def _window(self, metric: str, day: dt.date) -> tuple[dt.date, dict[tuple[dt.date, Any], int]]:
        first = {
            "rev_running": d("2023-12-01"),
            "ord_running": d("2023-12-01"),
            "rev_7d": day - dt.timedelta(days=6),
            "ord_7d": day - dt.timedelta(days=6),
            "rev_28d": day - dt.timedelta(days=27),
            "rev_mtd": day.replace(day=1),
        }[metric]
        return first, self.count if metric.startswith("ord") else self.amount

    def value(self, metric: str, day: dt.date, channel: Any) -> float | int | None:
        rev = self.amount.get
        if metric in ("revenue", "orders"):
            return (rev if metric == "revenue" else self.count.get)((day, channel), 0)
        if metric in PRIOR:
            return rev((day, channel), 0) - rev((PRIOR[metric](day), channel), 0)
        if metric == "mom_change":
            before = day - dt.timedelta(days=1)
            return self.value("rev_m1", day, channel) - self.value("rev_m1", before, channel)  # type: ignore[operator]
        if metric == "dod_ratio":
            prior = rev((day - dt.timedelta(days=1), channel), 0)
            return rev((day, channel), 0) / prior if prior else None
        first, values = self._window(metric, day)
        return sum(v for (when, ch), v in values.items() if ch == channel and first <= when <= day)

    def reads(self, metric: str, day: dt.date) -> list[dt.date]:
        """The days whose rows ``metric`` reads for ``day`` (a channel seen there is on the spine)."""
        if metric in PRIOR:
            return [day, PRIOR[metric](day)]
        if metric == "mom_change":
            return [*self.reads("rev_m1", day), *self.reads("rev_m1", day - dt.timedelta(days=1))]
        if metric == "dod_ratio":
            return [day, day - dt.timedelta(days=1)]
        if metric in ("revenue", "orders"):
            return [day]
        first, _ = self._window(metric, day)
        return [first + dt.timedelta(days=i) for i in range((day - first).days + 1)]

    def table(self, metrics: list[str]) -> list[tuple[Any, ...]]:
        days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
        seen = {ch for (_, ch) in self.amount}
        channels = [
            ch
            for ch in seen
            if any((when, ch) in self.amount for m in metrics for day in days for when in self.reads(m, day))
        ]
        channels.sort(key=lambda ch: (ch is None, ch or ""))  # by value, null last
        if not self.by_channel:
            return [(day, *[self.value(m, day, "all") for m in metrics]) for day in days]
        return [(day, ch, *[self.value(m, day, ch) for m in metrics]) for day in days for ch in channels]


def _query(engine: Engine, metrics: list[str], by_channel: bool) -> pa.Table:
    dims = ["channel"] if by_channel else []
    return engine.query(Query(metrics=metrics, dimensions=dims, grain="day", start=START, end=END))


def _check(engine: Engine, metrics: list[str], by_channel: bool) -> None:
    table = _query(engine, metrics, by_channel)
    columns = ["period", *(["channel"] if by_channel else []), *metrics]
    assert_table(table, columns, Reference(by_channel).table(metrics))


# -- the numbers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("count", [1, 3, 6])
@pytest.mark.parametrize("by_channel", [True, False], ids=["by_channel", "total"])
def test_cumulative_metrics_give_the_reference_numbers(engine: Engine, count: int, by_channel: bool) -> None:
    _check(engine, CUMULATIVE[:count], by_channel)


@pytest.mark.parametrize("by_channel", [True, False], ids=["by_channel", "total"])
def test_many_offsets_give_the_reference_numbers(engine: Engine, by_channel: bool) -> None:
    _check(engine, ["revenue", *OFFSETS, "mom_change", "dod_ratio"], by_channel)


def test_cumulative_and_offsets_together(engine: Engine) -> None:
    _check(engine, ["orders", *CUMULATIVE, "rev_m1", "rev_y1", "mom_change"], by_channel=True)


def test_same_numbers_as_hand_written_sql(engine: Engine) -> None:
    """Running, 7-day, month-to-date and month-over-month revenue by day, without a dimension."""
    con = duckdb.connect()
    con.execute("CREATE TABLE sales (d DATE, channel VARCHAR, amount INTEGER)")
    con.executemany("INSERT INTO sales VALUES (?, ?, ?)", ROWS)
    expected = con.sql(
        """
        WITH days AS (
            SELECT CAST(range AS DATE) AS day FROM range(DATE '2022-12-01', DATE '2024-04-01', INTERVAL 1 DAY)
        ), daily AS (
            SELECT days.day, COALESCE(SUM(sales.amount), 0) AS rev
            FROM days LEFT JOIN sales ON sales.d = days.day GROUP BY days.day
        ), windows AS (
            SELECT day, rev,
                   SUM(rev) OVER (ORDER BY day ROWS UNBOUNDED PRECEDING) AS running,
                   SUM(rev) OVER (ORDER BY day ROWS 6 PRECEDING) AS last7,
                   SUM(rev) OVER (PARTITION BY date_trunc('month', day) ORDER BY day ROWS UNBOUNDED PRECEDING) AS mtd
            FROM daily
        )
        SELECT w.day, w.running, w.last7, w.mtd, w.rev - p.rev AS mom
        FROM windows AS w JOIN daily AS p ON p.day = CAST(w.day - INTERVAL 1 MONTH AS DATE)
        WHERE w.day BETWEEN DATE '2024-02-01' AND DATE '2024-03-31'
        ORDER BY w.day
        """
    ).fetchall()
    con.close()
    table = _query(engine, ["rev_running", "rev_7d", "rev_mtd", "rev_m1"], by_channel=False)
    assert_table(table, ["period", "rev_running", "rev_7d", "rev_mtd", "rev_m1"], expected)
    assert len(expected) == 60


# -- the shape -------------------------------------------------------------------------------------
def test_postgres_and_mariadb_stack_duckdb_joins() -> None:
    assert shapes.stacks("postgres") and shapes.stacks("mysql")
    assert not shapes.stacks("duckdb") and not shapes.stacks("pyspark")


def _reads(sql: str, dialect: str, table: str) -> int:
    """How many times ``table`` is read when every reference of a common table expression is evaluated again."""
    tree = sqlglot.parse_one(sql, read=dialect)
    ctes = {cte.alias_or_name: cte.this for cte in tree.find_all(exp.CTE)}

    @cache
    def of_cte(name: str) -> int:
        return count(ctes[name])

    def count(node: exp.Expr) -> int:
        total = 0
        for found in node.find_all(exp.Table):
            if found.name in ctes:
                total += of_cte(found.name)
            elif found.name == table:
                total += 1
        return total

    main = tree.copy()
    main.set("with_", None)  # the definitions: counted where they are referenced
    return count(main)


def _sql(engine: Engine, metrics: list[str], by_channel: bool) -> str:
    dims = ["channel"] if by_channel else []
    return engine.sql(Query(metrics=metrics, dimensions=dims, grain="day", start=START, end=END))


def _linear(reads: list[int]) -> bool:
    steps = {b - a for a, b in itertools.pairwise(reads)}
    return len(steps) == 1 and steps.pop() > 0


@pytest.mark.parametrize("by_channel", [True, False], ids=["by_channel", "total"])
def test_offsets_read_the_data_a_linear_number_of_times(engine: Engine, loaded: Loaded, by_channel: bool) -> None:
    names = list(OFFSETS)
    sqls = [_sql(engine, names[:k], by_channel) for k in range(1, len(names) + 1)]
    reads = [_reads(sql, loaded.backend, loaded.table) for sql in sqls]
    assert _linear(reads), reads  # one offset more: the same number of reads more (it doubled them)
    assert reads[-1] <= len(names) * reads[0], reads
    for sql in sqls:  # no join on a null-safe comparison: rows are stacked and grouped
        assert "IS NOT DISTINCT FROM" not in sql and "<=>" not in sql


@pytest.mark.parametrize("by_channel", [True, False], ids=["by_channel", "total"])
def test_cumulative_metrics_read_the_data_a_linear_number_of_times(
    engine: Engine, loaded: Loaded, by_channel: bool
) -> None:
    sqls = [_sql(engine, CUMULATIVE[:k], by_channel) for k in range(1, len(CUMULATIVE) + 1)]
    reads = [_reads(sql, loaded.backend, loaded.table) for sql in sqls]
    assert _linear(reads), reads
    for sql in sqls:
        assert "IS NOT DISTINCT FROM" not in sql and "<=>" not in sql


def test_reads_count_every_reference_of_a_common_table_expression() -> None:
    """The counter itself: a CTE read twice, by a CTE read twice, reads the table four times."""
    sql = (
        "WITH a AS (SELECT * FROM t), b AS (SELECT * FROM a JOIN a AS a2 ON 1 = 1) SELECT * FROM b JOIN b AS c ON 1 = 1"
    )
    assert _reads(sql, "postgres", "t") == 4
    assert _reads("SELECT * FROM t JOIN u ON 1 = 1", "mysql", "t") == 1


def test_postgres_sessions_run_without_jit(pg_url: str, tmp_path: Any) -> None:
    """JIT compiled these queries for seconds (their estimated cost is far off); a URL can turn it on again."""
    off = connect(pg_url, tmp_path)
    on = connect(pg_url + "?options=-c%20jit%3Don", tmp_path)
    try:
        assert off.raw_sql("SHOW jit").fetchone()[0] == "off"
        assert on.raw_sql("SHOW jit").fetchone()[0] == "on"
        # still read-only: the URL's options come before onpace's own
        assert on.raw_sql("SHOW default_transaction_read_only").fetchone()[0] == "on"
    finally:
        off.disconnect()
        on.disconnect()

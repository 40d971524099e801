"""Segments of one dimension share their queries in a refresh, and keep each segment's own numbers.

A KPI with ``segment_by: channel`` makes one series per channel (``channel = 'web'``, ...),
by day and by month. Refresh computes them with one query grouped by ``channel`` and
splits it by value (the days with data too, by one grouped query): every stored value here
is checked against hand-written SQL over the raw rows, never against the engine.

Data (DuckDB): ``sales(day, ch_id, customer, amount)``, the channel's name in
``channels(ch_id, channel)`` (joined through the key ``ch_id``), 2025-01-01 to 2025-04-30:

- web: every day, two rows (and a third on days divisible by 4);
- kid's (a quote in its name): every other day from 2025-02-11 (starts later);
- early: the days not divisible by 3, up to 2025-03-15 (stops earlier, gaps of a day);
- ghost: a channel with targets but no row at all (keeps the whole range, 0 or null);
- store: every day to 2025-05-02, no KPI (outside every segment); one row without a channel.

``stock(count_day, ch_id, units)``: counts on a few days of each month, per channel. A
semi-additive ``last`` without ``per`` takes the latest count day over all the rows read:
grouped by channel it would differ from each channel's own, so it keeps its own queries.
Segments that are not one equality (``size > 12``, ``channel = 'web' and size > 12``,
``(size > 5) and channel = 'web'``; ``size`` is the amount) keep theirs too.
"""

from __future__ import annotations

import calendar
import datetime as dt
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import select

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.services import refresh as refresh_module
from onpace.services.refresh import refresh
from onpace.store.db import Store
from onpace.store.models import Observation, Series

FIRST = dt.date(2025, 1, 1)
LAST = dt.date(2025, 4, 30)
KIDS_FIRST = dt.date(2025, 2, 11)
EARLY_LAST = dt.date(2025, 3, 15)
STORE_LAST = dt.date(2025, 5, 2)
CHANNELS = {1: "web", 2: "kid's", 3: "early", 4: "ghost", 5: "store"}
VALUES = ["web", "kid's", "early", "ghost"]  # the segment_by values with targets

# metric -> (kind, definition); the kind picks the hand-written SQL below
METRICS: dict[str, tuple[str, str]] = {
    "sales": ("sum", "{name: sales, dataset: sales, agg: sum, expr: amount}"),
    "lines": ("count", "{name: lines, dataset: sales, agg: count}"),
    "buyers": ("distinct", "{name: buyers, dataset: sales, agg: count_distinct, expr: customer}"),
    "avg_ticket": ("ratio", "{name: avg_ticket, type: ratio, numerator: sales, denominator: lines}"),
    "sales_change": (
        "change",
        "{name: sales_change, type: derived, expr: sales - previous,"
        " inputs: [{metric: sales, alias: previous, offset: 1 period}]}",
    ),
    "sales_28d": ("window28", "{name: sales_28d, type: cumulative, metric: sales, window: 28 days}"),
    "sales_2m": ("window2m", "{name: sales_2m, type: cumulative, metric: sales, window: 2 months}"),
    "sales_mtd": ("mtd", "{name: sales_mtd, type: cumulative, metric: sales, grain_to_date: month}"),
    "buyers_to_date": ("distinct_to_date", "{name: buyers_to_date, type: cumulative, metric: buyers}"),
    "median_amount": ("median", "{name: median_amount, dataset: sales, agg: median, expr: amount}"),
    "p90_amount": ("p90", "{name: p90_amount, dataset: sales, agg: percentile, percentile: 0.9, expr: amount}"),
    "avg_amount": ("avg", "{name: avg_amount, dataset: sales, agg: avg, expr: amount}"),
    "sales_or_null": (
        "sum_or_null",
        "{name: sales_or_null, dataset: sales, agg: sum, expr: amount, empty_periods: null}",
    ),
    "last_sale": (
        "last_per",
        "{name: last_sale, type: semi_additive, dataset: sales, expr: amount, over_time: last, per: [channel]}",
    ),
    "stock_last": (
        "stock_last",
        "{name: stock_last, type: semi_additive, dataset: stock, expr: units, over_time: last}",
    ),
}
SALES_METRICS = [name for name in METRICS if name != "stock_last"]

# segments that are not one equality: (metric, segment as onpace stores it, the same condition in SQL)
OTHER_SEGMENTS = [
    ("sales", "size > 12", "s.amount > 12"),
    ("sales", "channel = 'web' and size > 12", "c.channel = 'web' AND s.amount > 12"),
    ("lines", "(size > 5) and channel = 'web'", "s.amount > 5 AND c.channel = 'web'"),
    ("lines", "(size > 5) and channel = 'early'", "s.amount > 5 AND c.channel = 'early'"),
]


def _models() -> str:
    metrics = "\n".join(f"  - {definition}" for _, definition in METRICS.values())
    targets = "\n".join(f'      - {{segment: "{value}", at_least: 1}}' for value in VALUES)
    kpis = []
    for name in METRICS:
        kpis.append(
            f"""  - name: by_channel_{name}
    metric: {name}
    segment_by: channel
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    targets:
{targets}"""
        )
    kpis.append(
        """  - name: big_sales
    metric: sales
    segment: size > 12
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    target: {at_least: 1}
  - name: big_web_sales
    metric: sales
    segment: channel = 'web' and size > 12
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    target: {at_least: 1}
  - name: lines_over_5
    metric: lines
    segment: size > 5
    segment_by: channel
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    targets:
      - {segment: web, at_least: 1}
      - {segment: early, at_least: 1}"""
    )
    return (
        textwrap.dedent(
            """
            datasets:
              - name: sales
                table: sales
                time: day
                keys:
                  - {name: ch_id, column: ch_id}
                dimensions:
                  - {name: day, column: day, type: time}
                  - {name: size, column: amount}
              - name: stock
                table: stock
                time: count_day
                keys:
                  - {name: ch_id, column: ch_id}
                dimensions:
                  - {name: count_day, column: count_day, type: time}
              - name: channels
                table: channels
                keys:
                  - {name: ch_id, column: ch_id, primary: true}
                dimensions:
                  - {name: channel, column: channel}
            objectives:
              - {name: grow, owner: CEO}
            """
        )
        + "metrics:\n"
        + metrics
        + "\nkpis:\n"
        + "\n".join(kpis)
        + "\n"
    )


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _sales_rows(first: dt.date, last: dt.date) -> list[tuple[dt.date, int | None, str, float]]:
    rows: list[tuple[dt.date, int | None, str, float]] = []
    for day in _days(first, last):
        if day <= LAST:
            rows.append((day, 1, f"c{day.day % 5}", 10.0 + day.day % 7))
            rows.append((day, 1, f"c{(day.day + 2) % 5}", 12.5 + day.day % 3))
            if day.day % 4 == 0:
                rows.append((day, 1, "c9", 3.5))
            if day >= KIDS_FIRST and (day - KIDS_FIRST).days % 2 == 0:
                rows.append((day, 2, f"k{day.day % 3}", 7.0 + day.day % 3))
        if day <= EARLY_LAST and day.day % 3 != 0:
            rows.append((day, 3, f"e{day.month}", 20.0))
        if day <= STORE_LAST:
            rows.append((day, 5, "s1", 30.0))
    rows.append((dt.date(2025, 2, 14), None, "nobody", 99.0))  # no channel: in no segment
    return rows


def _stock_rows() -> list[tuple[dt.date, int, int]]:
    rows = []
    for day in _days(FIRST, LAST):
        if day.day in (5, 15, 25):
            rows.append((day, 1, day.day * 10 + day.month))
        if day >= KIDS_FIRST and day.day in (10, 20):
            rows.append((day, 2, day.day + day.month))
        if day <= EARLY_LAST and day.day in (3, 13):
            rows.append((day, 3, 7 * day.month))
        if day.day == 28:
            rows.append((day, 5, 1000))
    return rows


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "onpace.yml").write_text(
        'name: shop\nsources:\n  warehouse: {url: "duckdb:///data/warehouse.duckdb"}\nrefresh:\n  lookback_days: 2\n',
        encoding="utf-8",
    )
    (root / "models" / "shop.yml").write_text(_models(), encoding="utf-8")
    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    try:
        con.execute("CREATE TABLE channels (ch_id INTEGER, channel VARCHAR)")
        con.executemany("INSERT INTO channels VALUES (?, ?)", list(CHANNELS.items()))
        con.execute("CREATE TABLE sales (day DATE, ch_id INTEGER, customer VARCHAR, amount DECIMAL(10, 2))")
        con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?)", _sales_rows(FIRST, STORE_LAST))
        con.execute("CREATE TABLE stock (count_day DATE, ch_id INTEGER, units INTEGER)")
        con.executemany("INSERT INTO stock VALUES (?, ?, ?)", _stock_rows())
    finally:
        con.close()
    return root


# -- the expected values, by hand-written SQL ---------------------------------------------------------


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _months_back(day: dt.date, months: int) -> dt.date:
    """``day`` moved back ``months`` months, the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _period(day: dt.date, grain: str) -> dt.date:
    return day if grain == "day" else _month_start(day)


def _period_end(period: dt.date, grain: str) -> dt.date:
    return period if grain == "day" else _month_end(period)


def _previous(period: dt.date, grain: str) -> dt.date:
    return period - dt.timedelta(days=1) if grain == "day" else _months_back(period, 1)


def _spine(lo: dt.date, hi: dt.date, grain: str) -> list[dt.date]:
    out, period = [], _period(lo, grain)
    while period <= hi:
        out.append(period)
        period = _period_end(period, grain) + dt.timedelta(days=1)
    return out


# the rows of a segment: sales (or stock) with the channel's name
SEGMENT_ROWS = {
    "sales": "SELECT s.day, s.amount, s.customer, c.channel FROM sales s LEFT JOIN channels c USING (ch_id) WHERE {cond}",
    "stock": "SELECT s.count_day AS day, s.units AS amount, c.channel FROM stock s LEFT JOIN channels c USING (ch_id)"
    " WHERE {cond}",
}

# the value of a period, over the segment's rows ``r`` (a scalar subquery per period ``p``)
SUM = "(SELECT coalesce(sum(r.amount), 0) FROM r WHERE r.day BETWEEN {a} AND {b})"
AGGREGATES: dict[str, str] = {
    "sum": SUM.format(a="p.p_start", b="p.p_end"),
    "count": "(SELECT count(*) FROM r WHERE r.day BETWEEN p.p_start AND p.p_end)",
    "distinct": "(SELECT count(DISTINCT r.customer) FROM r WHERE r.day BETWEEN p.p_start AND p.p_end)",
    "ratio": "(SELECT sum(r.amount) / nullif(count(*), 0) FROM r WHERE r.day BETWEEN p.p_start AND p.p_end)",
    "change": SUM.format(a="p.p_start", b="p.p_end") + " - " + SUM.format(a="p.prev_start", b="p.prev_end"),
    "window28": SUM.format(a="p.as_of - 27", b="p.as_of"),
    "window2m": SUM.format(a="p.m2_start", b="p.as_of"),
    "mtd": SUM.format(a="date_trunc('month', p.as_of)::DATE", b="p.as_of"),
    "distinct_to_date": "(SELECT count(DISTINCT r.customer) FROM r WHERE r.day <= p.as_of)",
    "median": "(SELECT quantile_cont(r.amount::DOUBLE, 0.5) FROM r WHERE r.day BETWEEN p.p_start AND p.p_end)",
    "p90": "(SELECT quantile_cont(r.amount::DOUBLE, 0.9) FROM r WHERE r.day BETWEEN p.p_start AND p.p_end)",
    "avg": "(SELECT avg(r.amount::DOUBLE) FROM r WHERE r.day BETWEEN p.p_start AND p.p_end)",
    "sum_or_null": "(SELECT sum(r.amount) FROM r WHERE r.day BETWEEN p.p_start AND p.p_end)",
    # each channel's rows at its own last day in the period, summed
    "last_per": """(SELECT sum(x.amount) FROM r x WHERE x.day BETWEEN p.p_start AND p.p_end AND x.day = (
        SELECT max(y.day) FROM r y WHERE y.day BETWEEN p.p_start AND p.p_end
        AND y.channel IS NOT DISTINCT FROM x.channel))""",
    # by day: each channel's rows at its own last day on or before the day (carried), up to the last day read
    "last_per_day": """(SELECT sum(x.amount) FROM r x WHERE p.p_start <= (SELECT max(z.day) FROM r z) AND x.day = (
        SELECT max(y.day) FROM r y WHERE y.day <= p.p_end AND y.channel IS NOT DISTINCT FROM x.channel))""",
    # the rows at the period's last count day (of the segment's rows: its own query reads only those)
    "stock_last": """(SELECT sum(x.amount) FROM r x WHERE x.day = (
        SELECT max(y.day) FROM r y WHERE y.day BETWEEN p.p_start AND p.p_end))""",
}


def expected(database: Path, metric: str, grain: str, cond: str) -> dict[dt.date, float | None]:
    """The series refresh must store for ``metric`` in the segment ``cond`` (SQL), from the raw rows.

    Its periods: the dataset's (first to last row of every channel), kept to the periods
    holding the segment's first and last row; all of them when the segment has none.
    """
    kind = METRICS[metric][0]
    dataset = "stock" if kind == "stock_last" else "sales"
    con = duckdb.connect(str(database), read_only=True)
    try:
        time = "count_day" if dataset == "stock" else "day"
        lo, hi = con.execute(f"SELECT min({time}), max({time}) FROM {dataset}").fetchone()  # type: ignore[misc]
        rows = SEGMENT_ROWS[dataset].format(cond=cond)
        first, last = con.execute(f"SELECT min(day), max(day) FROM ({rows})").fetchone()  # type: ignore[misc]
        periods = _spine(lo, hi, grain)
        if first is not None:
            periods = [p for p in periods if _period(first, grain) <= p <= _period(last, grain)]
        if not periods:
            return {}
        table = []
        for period in periods:
            end = _period_end(period, grain)
            # a window is taken as of the period's last day, or the dataset's last day when earlier
            as_of = period if grain == "day" else max(period, min(end, hi))
            prev = _previous(period, grain)
            table.append(
                (period, end, as_of, _months_back(as_of, 2) + dt.timedelta(days=1), prev, _period_end(prev, grain))
            )
        con.execute(
            "CREATE TEMP TABLE p (p_start DATE, p_end DATE, as_of DATE, m2_start DATE, prev_start DATE, prev_end DATE)"
        )
        con.executemany("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?)", table)
        aggregate = AGGREGATES["last_per_day" if kind == "last_per" and grain == "day" else kind]
        sql = f"WITH r AS ({rows}) SELECT p.p_start, ({aggregate})::DOUBLE FROM p ORDER BY 1"
        return {period: value for period, value in con.execute(sql).fetchall()}
    finally:
        con.close()


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def all_expected(database: Path) -> dict[tuple[str, str, str], dict[dt.date, float | None]]:
    """Every segment series of the project, by (metric, grain, segment as stored)."""
    out = {}
    for grain in ("day", "month"):
        for metric in METRICS:
            for value in VALUES:
                segment = f"channel = {_quoted(value)}"
                out[(metric, grain, segment)] = expected(database, metric, grain, f"c.channel = {_quoted(value)}")
        for metric, segment, cond in OTHER_SEGMENTS:
            out[(metric, grain, segment)] = expected(database, metric, grain, cond)
    return out


def stored(store: Store) -> dict[tuple[str, str, str], dict[dt.date, float | None]]:
    out: dict[tuple[str, str, str], dict[dt.date, float | None]] = {}
    with store.session(readonly=True) as s:
        for series in s.scalars(select(Series)):
            rows = s.scalars(select(Observation).where(Observation.series_id == series.id))
            out[(series.metric, series.grain, series.segment)] = {row.period_start: row.value for row in rows}
    return out


def assert_same(got: dict[dt.date, float | None], want: dict[dt.date, float | None], what: Any) -> None:
    assert sorted(got) == sorted(want), what
    for period, value in want.items():
        if value is None:
            assert got[period] is None, (what, period)
        else:
            assert got[period] == pytest.approx(value, rel=1e-9, abs=1e-9), (what, period)


def check_store(store: Store, database: Path) -> None:
    values = stored(store)
    for key, want in all_expected(database).items():
        assert key in values, key
        assert_same(values[key], want, key)


# -- counting what the engine runs ------------------------------------------------------------------


class Recorder:
    """The queries and the statements the engine runs (Engine.query, Engine._execute), by wrapping them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.queries: list[Query] = []
        self.executed = 0
        self.data_days = 0
        self.data_days_by = 0
        query, execute = Engine.query, Engine._execute
        data_days, data_days_by = Engine.data_days, Engine.data_days_by

        def counted_query(engine: Engine, q: Query) -> Any:
            self.queries.append(q)
            return query(engine, q)

        def counted_execute(engine: Engine, expr: Any, source: str) -> Any:
            self.executed += 1
            return execute(engine, expr, source)

        def counted_days(engine: Engine, *args: Any) -> Any:
            self.data_days += 1
            return data_days(engine, *args)

        def counted_days_by(engine: Engine, *args: Any) -> Any:
            self.data_days_by += 1
            return data_days_by(engine, *args)

        monkeypatch.setattr(Engine, "query", counted_query)
        monkeypatch.setattr(Engine, "_execute", counted_execute)
        monkeypatch.setattr(Engine, "data_days", counted_days)
        monkeypatch.setattr(Engine, "data_days_by", counted_days_by)

    def reset(self) -> None:
        self.queries, self.executed, self.data_days, self.data_days_by = [], 0, 0, 0


def _refresh(root: Path, store_path: Path, **kwargs: Any) -> refresh_module.RefreshResult:
    store = Store.open(f"sqlite:///{store_path}")
    try:
        result = refresh(load_project(root), store, requested_by="test", evaluate=False, **kwargs)
        assert result.errors == {}
        return result
    finally:
        store.close()


def _check(root: Path, store_path: Path) -> None:
    store = Store.open(f"sqlite:///{store_path}")
    try:
        check_store(store, root / "data" / "warehouse.duckdb")
    finally:
        store.close()


# -- tests --------------------------------------------------------------------------------------------


def test_segments_of_one_dimension_share_their_queries(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(monkeypatch)
    _refresh(shop, tmp_path / "shared.db")
    _check(shop, tmp_path / "shared.db")
    shared = (list(recorder.queries), recorder.executed, recorder.data_days, recorder.data_days_by)

    # the same refresh, every segment with its own queries (as before)
    recorder.reset()
    with monkeypatch.context() as patched:
        patched.setattr(refresh_module, "_shared_batches", lambda *args: {})
        _refresh(shop, tmp_path / "alone.db")
    _check(shop, tmp_path / "alone.db")
    alone = (list(recorder.queries), recorder.executed, recorder.data_days, recorder.data_days_by)

    sales = set(SALES_METRICS)
    grouped = [q for q in shared[0] if q.dimensions]
    # one query by channel per grain for the sales metrics (every KPI wants them for every channel)
    assert sorted(str(q.grain_value.value) for q in grouped if q.grain_value) == ["day", "month"]
    assert all(q.dimensions == ["channel"] and set(q.metrics) == sales for q in grouped)
    assert all(q.where == "channel in ('early', 'ghost', 'kid''s', 'web')" for q in grouped)

    def own(queries: list[Query], value: str) -> list[Query]:
        return [q for q in queries if q.where == f"channel = {_quoted(value)}" and set(q.metrics) & sales]

    # a channel the grouped query shows no row of (ghost) runs its own query, as before
    assert [len(own(shared[0], value)) for value in VALUES] == [0, 0, 0, 2]
    assert [len(own(alone[0], value)) for value in VALUES] == [2, 2, 2, 2]
    # the semi-additive stock without per keeps a query per channel and grain
    stock = [q for q in shared[0] if q.metrics == ["stock_last"] and q.where]
    assert len(stock) == 8 and not any(q.dimensions for q in stock)
    assert len(shared[0]) == len(alone[0]) - 4
    assert shared[1] < alone[1]
    # days with data: one grouped query for the sales metrics' channels (they read one dataset)
    assert shared[3] == 1 and alone[3] == 0
    assert shared[2] == len(VALUES) + len(OTHER_SEGMENTS)  # stock's channels, and the other segments
    assert alone[2] == len(VALUES) * len(METRICS) + len(OTHER_SEGMENTS)


def test_an_incremental_refresh_keeps_the_numbers(shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store_path = tmp_path / "store.db"
    _refresh(shop, store_path)
    # three more days: web to 2025-05-03, kid's on 2025-05-02, store on 2025-05-03 (the data's end moves)
    con = duckdb.connect(str(shop / "data" / "warehouse.duckdb"))
    try:
        con.executemany(
            "INSERT INTO sales VALUES (?, ?, ?, ?)",
            [
                (dt.date(2025, 5, 1), 1, "c1", 11.0),
                (dt.date(2025, 5, 2), 1, "new", 14.0),
                (dt.date(2025, 5, 3), 1, "c2", 12.0),
                (dt.date(2025, 5, 2), 2, "k9", 8.0),
                (dt.date(2025, 5, 3), 5, "s1", 30.0),
            ],
        )
        con.execute("INSERT INTO stock VALUES ('2025-05-05', 1, 77), ('2025-05-05', 2, 5)")
    finally:
        con.close()
    recorder = Recorder(monkeypatch)
    _refresh(shop, store_path)
    _check(shop, store_path)
    # web and kid's restart from the same day (by day) and month: they share a query per grain
    grouped = [q for q in recorder.queries if q.dimensions and "sales" in q.metrics]
    assert len(grouped) == 2
    assert all(q.where == "channel in ('kid''s', 'web')" and q.start is not None for q in grouped)


@pytest.mark.parametrize("broken", ["query", "data_days_by"])
def test_a_failing_shared_query_falls_back_to_each_segment(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    original: Callable[..., Any] = getattr(Engine, broken)

    def failing(engine: Engine, *args: Any) -> Any:
        if broken == "data_days_by" or args[0].dimensions:
            raise RuntimeError("the grouped query failed")
        return original(engine, *args)

    monkeypatch.setattr(Engine, broken, failing)
    _refresh(shop, tmp_path / "store.db")  # no error: each segment got its own query
    _check(shop, tmp_path / "store.db")


def test_data_days_by_is_each_segments_data_days(shop: Path) -> None:
    with Engine(load_project(shop)) as engine:
        values = [*VALUES, "nobody"]
        by = engine.data_days_by("sales", "channel", values)
        assert by == {value: engine.data_days("sales", f"channel = {_quoted(value)}") for value in values}
        assert by["kid's"] == (KIDS_FIRST, LAST)
        assert by["early"] == (FIRST, dt.date(2025, 3, 14))
        assert by["ghost"] == by["nobody"] == (None, None)

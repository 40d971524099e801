"""The lookback of an incremental refresh counts from the last day with data, at every grain.

A yearly series stores the start of its last year (2024-01-01) as its last period; counting the
lookback (3 days) back from that date restarted it a year early (2023), recomputing a year it did
not need to. The series of the same metric by day knows the last day itself: the lookback counts
from it. Late rows inside the lookback are still picked up, across a year's start too.

Data (DuckDB): ``sales``, 10 a day. Expected values are days x 10, by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from tests.services.duckdb_project import duckdb_project

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store


def _project(root: Path) -> Path:
    return duckdb_project(
        root,
        "yearly",
        """
            datasets:
              - name: sales
                table: sales
                time: day
                dimensions: [{name: day, column: day, type: time}]
                measures: [{name: sales, agg: sum, expr: amount}]
            metrics:
              - {name: sales, measure: sales, default_grain: year}
            objectives:
              - {name: grow, owner: Head of Sales}
            kpis:
              - name: yearly_sales
                metric: sales
                objective: grow
                owner: Head of Sales
                timeframe: year
                review_cadence: monthly
                target: {at_least: 5000}
            """,
    )


def _add(root: Path, first: dt.date, last: dt.date) -> None:
    con = duckdb.connect(str(root / "data.duckdb"))
    try:
        con.execute("create table if not exists sales (day date, amount double)")
        con.execute(
            "insert into sales select d::date, 10.0 from range(?::date, ?::date + 1, interval 1 day) t(d)",
            [first, last],
        )
    finally:
        con.close()


def _yearly(store: Store) -> dict[dt.date, float | None]:
    with store.session(readonly=True) as s:
        return dict(obs.read_series(s, "sales", "year", ""))


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> list[Query]:
    asked: list[Query] = []
    original = Engine.query

    def query(self: Engine, q: Query) -> object:
        asked.append(q)
        return original(self, q)

    monkeypatch.setattr(Engine, "query", query)
    return asked


def test_a_yearly_series_restarts_at_the_year_of_the_last_day_minus_the_lookback(
    tmp_path: Path, spied: list[Query]
) -> None:
    root = _project(tmp_path / "p")
    _add(root, dt.date(2023, 6, 1), dt.date(2024, 3, 10))
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    refresh(load_project(root), store, requested_by="test", evaluate=False)
    _add(root, dt.date(2024, 3, 11), dt.date(2024, 3, 11))
    spied.clear()
    refresh(load_project(root), store, requested_by="test", evaluate=False)
    yearly = [q for q in spied if str(q.grain) in ("year", "Grain.year")]
    assert [q.start for q in yearly] == [dt.date(2024, 1, 1)]  # not 2023-01-01
    # 2023-06-01..2023-12-31: 214 days; 2024-01-01..2024-03-11: 71 days
    assert _yearly(store) == {dt.date(2023, 1, 1): 2140.0, dt.date(2024, 1, 1): 710.0}


def test_a_late_row_of_last_year_inside_the_lookback_is_picked_up(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    _add(root, dt.date(2023, 12, 1), dt.date(2023, 12, 30))
    _add(root, dt.date(2024, 1, 1), dt.date(2024, 1, 2))
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    refresh(load_project(root), store, requested_by="test", evaluate=False)
    assert _yearly(store) == {dt.date(2023, 1, 1): 300.0, dt.date(2024, 1, 1): 20.0}
    _add(root, dt.date(2023, 12, 31), dt.date(2023, 12, 31))  # late: 2 days before the last day
    refresh(load_project(root), store, requested_by="test", evaluate=False)
    assert _yearly(store) == {dt.date(2023, 1, 1): 310.0, dt.date(2024, 1, 1): 20.0}

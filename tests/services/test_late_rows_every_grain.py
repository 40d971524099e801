"""A late row older than the lookback reaches every grain of its metric, or none: never some.

Found by QA: an incremental refresh in a fresh process recomputed a quarterly series from the
quarter's start (its last period) but the daily and monthly series of the same metric from the
lookback only (3 days), so a row dated back in the quarter's first months counted in the quarter
and not in its days or its month: the KPI (a sum of the quarter's days) said 700 beside a stored
quarter of 705, and the months no longer added up to the quarter. The days of a metric and segment now restart
at the earliest start any of its grains needs, and the months with them; the scheduler's warm
process, which rolls every grain up from the days it keeps, misses such a row at every grain
alike (the documented contract: a row older than the lookback needs ``refresh --full``).

Data (DuckDB): ``sales``, 10 a day from 2024-01-01 to 2024-03-10; then a late row of 5 on
2024-02-01. Expected values by hand: Q1 = 70 days x 10 (+ 5), February = 29 x 10 (+ 5).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from tests.services.duckdb_project import duckdb_project, run_sql

from onpace.catalog.project import load_project
from onpace.engine import Engine
from onpace.services.evaluate import evaluate_all
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store

Q1 = dt.date(2024, 1, 1)
FEB = dt.date(2024, 2, 1)


def _project(root: Path) -> Path:
    duckdb_project(
        root,
        "late",
        """
            datasets:
              - name: sales
                table: sales
                time: day
                dimensions: [{name: day, column: day, type: time}]
                measures: [{name: sales, agg: sum, expr: amount}]
            metrics:
              - {name: sales, measure: sales, default_grain: month}
            objectives:
              - {name: grow, owner: Head of Sales}
            kpis:
              - name: quarterly_sales
                metric: sales
                objective: grow
                owner: Head of Sales
                timeframe: quarter
                review_cadence: monthly
                target: {at_least: 1000}
            """,
    )
    days = "range(DATE '2024-01-01', DATE '2024-03-11', interval 1 day) t(d)"
    run_sql(root, "create table sales (day date, amount double)", f"insert into sales select d::date, 10.0 from {days}")
    return root


def _late_row(root: Path) -> None:
    run_sql(root, "insert into sales values (DATE '2024-02-01', 5.0)")  # 38 days before the last day


def _series(store: Store, grain: str) -> dict[dt.date, float]:
    with store.session(readonly=True) as s:
        return {d: v for d, v in obs.read_series(s, "sales", grain, "") if v is not None}


def _assert_grains_agree(store: Store) -> None:
    """Every stored month and quarter is the sum of its stored days."""
    days = _series(store, "day")
    months: dict[dt.date, float] = defaultdict(float)
    quarters: dict[dt.date, float] = defaultdict(float)
    for day, value in days.items():
        months[day.replace(day=1)] += value
        quarters[dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)] += value
    assert _series(store, "month") == pytest.approx(dict(months))
    assert _series(store, "quarter") == pytest.approx(dict(quarters))


def _kpi_actual(root: Path, store: Store) -> float | None:
    (result,) = evaluate_all(load_project(root), store, today=dt.date(2024, 3, 10))
    return result.evaluation.actual


def test_a_fresh_process_counts_a_late_row_at_every_grain(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    refresh(load_project(root), store, requested_by="test", evaluate=False)
    assert _series(store, "quarter") == {Q1: 700.0}
    _late_row(root)
    refresh(load_project(root), store, requested_by="test", evaluate=False)  # incremental, its own engine
    assert _series(store, "quarter") == {Q1: 705.0}
    assert _series(store, "month")[FEB] == 295.0
    assert _series(store, "day")[FEB] == 15.0
    _assert_grains_agree(store)
    assert _kpi_actual(root, store) == pytest.approx(705.0)


def test_the_warm_process_misses_a_late_row_at_every_grain_alike(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    project = load_project(root)
    engine = Engine(project)  # kept between refreshes, as the scheduler keeps it
    refresh(project, store, requested_by="test", evaluate=False, engine=engine)
    engine.release()  # the file is written by another connection (see Engine.release)
    _late_row(root)
    refresh(project, store, requested_by="test", evaluate=False, engine=engine)
    _assert_grains_agree(store)
    assert _series(store, "quarter") == {Q1: 700.0}  # the kept days, older than the lookback, are trusted
    assert _kpi_actual(root, store) == pytest.approx(700.0)
    refresh(project, store, requested_by="test", evaluate=False, engine=engine, full=True)  # the contract's remedy
    assert _series(store, "quarter") == {Q1: 705.0}
    _assert_grains_agree(store)
    engine.close()

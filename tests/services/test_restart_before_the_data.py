"""An incremental refresh whose lookback reaches back before the data began stores no period before it.

Found by review: a metric stored by month only (no KPI, so no series by day), with data from
2 to 20 January 2024. Its last stored month starts on 1 January; the lookback (3 days) counted
back from there reached 29 December, so the incremental refresh recomputed from December and
stored December 2023 = 0 (no sale could be there: the data begins in January), a period the
full refresh never stores. The same by day for data younger than the lookback. Such a series
now keeps to the metric's days with data, as a segment's does; a late row dated before the
first stored day but inside the lookback still counts.

Every expected number by hand: 10 a day, 2 to 20 January = 19 days = 190.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.services.duckdb_project import duckdb_project, run_sql

from onpace.catalog.project import load_project
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store

JAN = dt.date(2024, 1, 1)


MODELS = """
    datasets:
      - name: sales
        table: sales
        time: day
        dimensions: [{name: day, column: day, type: time}]
        measures: [{name: sales, agg: sum, expr: amount}]
    metrics:
      - {name: sales, measure: sales, default_grain: month}
    """
KPI = """
    objectives:
      - {name: grow, owner: Head of Sales}
    kpis:
      - {name: monthly_sales, metric: sales, objective: grow, owner: Head of Sales, timeframe: month,
         review_cadence: monthly, target: {at_least: 100}}
    """


def _project(root: Path, kpi: bool) -> Path:
    return duckdb_project(root, "young", MODELS + (KPI if kpi else ""))  # a KPI stores the metric by day too


def _stored(store: Store) -> dict[str, dict[dt.date, float | None]]:
    with store.session(readonly=True) as s:
        return {x.grain: dict(obs.read_series(s, x.metric, x.grain, x.segment)) for x in obs.list_series(s)}


def test_a_month_series_without_days_gets_no_month_before_the_data(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", kpi=False)
    days = "range(DATE '2024-01-02', DATE '2024-01-21', interval 1 day) t(d)"
    run_sql(root, f"create table sales as select d::date as day, 10.0 as amount from {days}")
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        refresh(load_project(root), store, requested_by="test", evaluate=False)
        assert _stored(store) == {"month": {JAN: 190.0}}
        refresh(load_project(root), store, requested_by="test", evaluate=False)  # incremental, same data
        assert _stored(store) == {"month": {JAN: 190.0}}  # it stored December 2023 = 0
    finally:
        store.close()


def test_days_younger_than_the_lookback_get_no_day_before_them_but_a_late_row_counts(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", kpi=True)
    run_sql(
        root,
        "create table sales as select * from (values (DATE '2024-01-02', 10.0), (DATE '2024-01-03', 20.0)) t(day, amount)",
    )
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        refresh(load_project(root), store, requested_by="test", evaluate=False)
        want = {"day": {dt.date(2024, 1, 2): 10.0, dt.date(2024, 1, 3): 20.0}, "month": {JAN: 30.0}}
        assert _stored(store) == want
        refresh(load_project(root), store, requested_by="test", evaluate=False)  # incremental: from 31 December
        assert _stored(store) == want  # it stored 31 December 2023 and 1 January = 0
        # a late row of 1 January, inside the lookback (3 days before 3 January): counted by day and month
        run_sql(root, "insert into sales values (DATE '2024-01-01', 5.0)")
        refresh(load_project(root), store, requested_by="test", evaluate=False)
        assert _stored(store) == {"day": {JAN: 5.0, **want["day"]}, "month": {JAN: 35.0}}
    finally:
        store.close()

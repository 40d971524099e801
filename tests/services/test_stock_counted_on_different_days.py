"""A level KPI on stock counted per warehouse on different days is forecast from the whole stock.

Found by QA: the days of a ``semi_additive`` ``last`` metric with ``per: [warehouse]`` held only the
warehouses counted that day, so the forecast of a level KPI, which reads the days, took part of
the stock for all of it (actual 3,594, forecast 2,096, "off track"). The days are now the level
as of each day: each warehouse's latest count carried forward (docs/definitions.md).

Data (DuckDB), every number by hand: warehouse A holds 1,000 units, counted on the odd days;
B holds 2,000, counted on 1 January and the even days, from 2024-01-01 to 2024-04-10. The stock
is 3,000 on every day; a day's counts alone are 3,000 (1 January), 1,000 (odd days) or 2,000
(even days). April to date (as of 10 April): A's 9 April 1,000 + B's 10 April 2,000 = 3,000.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.kpi.types import Status
from onpace.services.evaluate import evaluate_all
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store

APRIL_10 = dt.date(2024, 4, 10)


def _project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "onpace.yml").write_text("name: stock\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\n")
    (root / "models" / "stock.yml").write_text(
        textwrap.dedent(
            """
            datasets:
              - name: counts
                table: counts
                time: day
                dimensions:
                  - {name: day, column: day, type: time}
                  - {name: warehouse, column: warehouse}
                measures: [{name: units, agg: sum, expr: units}]
            metrics:
              - {name: stock, type: semi_additive, measure: counts.units, per: [warehouse], default_grain: month}
            objectives:
              - {name: supply, owner: Head of Supply}
            kpis:
              - name: monthly_stock
                metric: stock
                objective: supply
                owner: Head of Supply
                timeframe: month
                review_cadence: monthly
                target: {at_least: 2500}
            """
        ),
        encoding="utf-8",
    )
    con = duckdb.connect(str(root / "data.duckdb"))
    try:
        con.execute("create table counts (day date, warehouse varchar, units double)")
        days = "range(DATE '2024-01-01', DATE '2024-04-11', interval 1 day) t(d)"
        con.execute(f"insert into counts select d::date, 'A', 1000 from {days} where day(d) % 2 = 1")
        con.execute(
            f"insert into counts select d::date, 'B', 2000 from {days} where day(d) % 2 = 0 or d = '2024-01-01'"
        )
    finally:
        con.close()
    return root


def test_a_level_kpi_on_stock_counted_on_different_days_is_forecast_from_the_whole_stock(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        refresh(load_project(root), store, requested_by="test", evaluate=False)
        with store.session(readonly=True) as s:
            days = dict(obs.read_series(s, "stock", "day", ""))
            months = dict(obs.read_series(s, "stock", "month", ""))
        assert len(days) == 101 and set(days.values()) == {3000.0}  # 1 January to 10 April, each the whole stock
        # March: A's 31 March 1,000 + B's 30 March 2,000; April to date the same
        assert months == {dt.date(2024, m, 1): 3000.0 for m in (1, 2, 3, 4)}
        (result,) = evaluate_all(load_project(root), store, today=APRIL_10)
    finally:
        store.close()
    evaluation = result.evaluation
    assert evaluation.actual == 3000.0
    assert evaluation.forecast == pytest.approx(3000.0)  # the stock holds: every day of its history is 3,000
    assert evaluation.forecast_low == pytest.approx(3000.0) and evaluation.forecast_high == pytest.approx(3000.0)
    assert evaluation.probability == pytest.approx(1.0)
    assert evaluation.status == Status.on_track

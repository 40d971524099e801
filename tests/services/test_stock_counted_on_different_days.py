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
from pathlib import Path

import pytest
from tests.services.duckdb_project import duckdb_project, run_sql

from onpace.catalog.project import load_project
from onpace.kpi.types import Status
from onpace.services.evaluate import evaluate_all
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store

APRIL_10 = dt.date(2024, 4, 10)


def _project(root: Path) -> Path:
    duckdb_project(
        root,
        "stock",
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
            """,
    )
    days = "range(DATE '2024-01-01', DATE '2024-04-11', interval 1 day) t(d)"
    run_sql(
        root,
        "create table counts (day date, warehouse varchar, units double)",
        f"insert into counts select d::date, 'A', 1000 from {days} where day(d) % 2 = 1",
        f"insert into counts select d::date, 'B', 2000 from {days} where day(d) % 2 = 0 or d = '2024-01-01'",
    )
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


# Found by review: a KPI split by region computed every region's days in one query grouped by region,
# whose levels ran to the last count of any region; a region's own query (an incremental refresh that
# restarts the regions on different days) stops at its own. A derived metric over the stock and a second
# dataset then differed: stock + deliveries for EU from 11 to 15 January was 111 after a full refresh and
# none after an incremental one on the same data. By day, such metrics are no longer grouped.
REGIONS = """
datasets:
  - name: stock
    table: stock
    time: day
    dimensions:
      - {name: day, column: d, type: time}
      - {name: warehouse, column: warehouse}
    keys: [{name: reg, column: region}]
    measures: [{name: units, agg: sum, expr: units}]
  - name: deliveries
    table: deliveries
    time: delivered_on
    dimensions: [{name: delivered_on, column: d, type: time}]
    keys: [{name: reg, column: region}]
    measures: [{name: qty, agg: sum, expr: qty}]
  - name: regions
    table: regions
    keys: [{name: reg, column: region, primary: true}]
    dimensions: [{name: region, column: region}]
metrics:
  - {name: regional_stock, type: semi_additive, measure: stock.units, per: [warehouse, region], default_grain: month}
  - {name: delivered, measure: deliveries.qty}
  - name: stock_and_deliveries
    type: derived
    expr: "s + q"
    inputs: [{metric: regional_stock, alias: s}, {metric: delivered, alias: q}]
objectives:
  - {name: supply, owner: Head of Supply}
kpis:
  - name: regional_supply
    metric: stock_and_deliveries
    segment_by: region
    objective: supply
    owner: Head of Supply
    timeframe: month
    review_cadence: monthly
    targets: [{segment: EU, at_least: 1}, {segment: US, at_least: 1}]
"""


def _regions(root: Path) -> Path:
    duckdb_project(root, "regions", REGIONS)
    counts = [("2024-01-01", "e1", "EU", 100), ("2024-01-10", "e1", "EU", 110)]
    counts += [("2024-01-01", "u1", "US", 200), ("2024-01-20", "u1", "US", 210), ("2024-02-05", "u1", "US", 220)]
    eu = "range(DATE '2024-01-01', DATE '2024-01-16', interval 1 day) t(d)"
    us = "range(DATE '2024-01-01', DATE '2024-02-06', interval 1 day) t(d)"
    run_sql(
        root,
        "create table stock (d date, warehouse varchar, region varchar, units double)",
        "insert into stock values " + ", ".join(f"(DATE '{d}', '{w}', '{r}', {u})" for d, w, r, u in counts),
        "create table deliveries (d date, region varchar, qty double)",
        f"insert into deliveries select d::date, 'EU', 1 from {eu}",
        f"insert into deliveries select d::date, 'US', 2 from {us}",
        "create table regions as select * from (values ('EU'), ('US')) t(region)",
    )
    return root


def _stored(store: Store) -> dict[tuple[str, str, str], dict[dt.date, float | None]]:
    with store.session(readonly=True) as s:
        return {
            (series.metric, series.grain, series.segment): dict(
                obs.read_series(s, series.metric, series.grain, series.segment)
            )
            for series in obs.list_series(s)
        }


def test_a_region_of_a_derived_metric_over_stock_is_the_same_after_an_incremental_refresh(tmp_path: Path) -> None:
    root = _regions(tmp_path / "p")
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        refresh(load_project(root), store, requested_by="test", evaluate=False, full=True)
        full = _stored(store)
        refresh(load_project(root), store, requested_by="test", evaluate=False)  # the same data, incremental
        incremental = _stored(store)
    finally:
        store.close()
    assert incremental == full
    eu = full[("stock_and_deliveries", "day", "region = 'EU'")]
    # e1's 100 (1 January) + 1 delivered, each day to 9 January; 110 + 1 on 10 January; then no stock level
    # (EU's last count): none, to 15 January, EU's last day with data
    want: dict[dt.date, float | None] = {dt.date(2024, 1, day): 101.0 for day in range(1, 10)}
    want[dt.date(2024, 1, 10)] = 111.0
    want.update({dt.date(2024, 1, day): None for day in range(11, 16)})
    assert eu == want

"""``onpace backtest`` on a tiny project whose every number is worked out by hand.

Data (DuckDB), 2025-01-01 to 2025-04-30: sales of 10 a day; 100 sessions and 25 orders a day.

- ``monthly_sales`` (flow, at least 295 a month): January 310, February 280, March 310, April
  300. Each of the 4 months is replayed 25%, 50% and 75% through (January: days 8, 16, 23).
  The days are constant, so every forecast is the run rate, exact: the actual to date plus 10
  a day, which is the month's total: 12 of 12 intervals hold it, the point error is 0, and the
  chance is 1 when the month meets 295 and 0 when not (February): Brier 0. The pace-only rule
  says 1 in January, March and April (310/295, 300/295 of the phased target: on track) and 0.5
  in February (280/295 = 0.949: at risk) when February missed: (3 x 0.5^2) / 12 = 0.0625.
- ``conversion`` (ratio, orders / sessions, at least 30%): 25% every day, never met; by pace
  0.25 / 0.30 = 0.833, off track (0); the forecast is 25% with no chance: both Brier scores 0.
  Its value to date on a past day is not stored (a ratio): the engine computes it.
- ``q1_sales`` covers one period (2025-Q1): not recurring, not replayed.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app
from onpace.services import backtest
from onpace.services.refresh import refresh
from onpace.store.db import Store

FIRST, LAST = dt.date(2025, 1, 1), dt.date(2025, 4, 30)

MODELS = """
datasets:
  - name: shop
    table: shop
    time: day
    dimensions:
      - {name: day, column: day, type: time}
    measures:
      - {name: sales, agg: sum, expr: amount}
      - {name: sessions, agg: sum, expr: sessions}
      - {name: orders, agg: sum, expr: orders}
metrics:
  - {name: sales, measure: sales}
  - {name: sessions, measure: sessions}
  - {name: orders, measure: orders}
  - {name: conversion_rate, type: ratio, numerator: orders, denominator: sessions, format: {kind: percent}}
objectives:
  - {name: grow, owner: CEO}
kpis:
  - {name: monthly_sales, metric: sales, objective: grow, owner: Sales, review_cadence: monthly, timeframe: month, target: {at_least: 295}}
  - {name: conversion, metric: conversion_rate, objective: grow, owner: Sales, review_cadence: monthly, timeframe: month, target: {at_least: 0.3}}
  - {name: q1_sales, metric: sales, objective: grow, owner: Sales, review_cadence: monthly, timeframe: 2025-Q1, target: {at_least: 900}}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("backtest")
    (root / "models").mkdir()
    (root / "data").mkdir()
    (root / "onpace.yml").write_text(
        textwrap.dedent(
            """
            name: backtest
            sources:
              warehouse: {url: "duckdb:///data/shop.duckdb"}
            evaluation:
              as_of: latest_data
            """
        ),
        encoding="utf-8",
    )
    (root / "models" / "shop.yml").write_text(MODELS, encoding="utf-8")
    con = duckdb.connect(str(root / "data" / "shop.duckdb"))
    try:
        con.execute("CREATE TABLE shop (day DATE, amount DOUBLE, sessions DOUBLE, orders DOUBLE)")
        days = (LAST - FIRST).days + 1
        con.executemany(
            "INSERT INTO shop VALUES (?, ?, ?, ?)",
            [(FIRST + dt.timedelta(days=i), 10.0, 100.0, 25.0) for i in range(days)],
        )
    finally:
        con.close()
    project = load_project(root)
    store = Store.for_project(root).ensure_current()
    try:
        assert refresh(project, store).status == "succeeded"
    finally:
        store.close()
    return root


def test_the_scores_by_hand(shop: Path) -> None:
    project = load_project(shop)
    store = Store.for_project(shop).ensure_current()
    try:
        report = backtest.run(project, store)
    finally:
        store.close()
    assert report.points == [0.25, 0.5, 0.75] and report.interval == 0.8
    assert [k.kpi for k in report.kpis] == ["monthly_sales", "conversion"]  # q1_sales is one period
    sales, conversion = report.kpis
    assert (sales.kind, sales.periods) == ("flow", 4)
    s = sales.score
    assert (s.replays, s.known, s.intervals, s.covered, s.judged) == (12, 0, 12, 12, 12)
    assert (s.coverage, s.brier, s.point_error) == (1.0, 0.0, 0.0)
    assert s.baseline_brier == pytest.approx(3 * 0.5**2 / 12)  # 0.0625
    assert (conversion.kind, conversion.periods) == ("ratio", 4)
    c = conversion.score
    assert (c.replays, c.judged, c.brier, c.baseline_brier) == (12, 12, 0.0, 0.0)
    assert c.point_error is not None and c.point_error < 1e-12
    overall = report.overall
    assert (overall.replays, overall.judged) == (24, 24)
    assert overall.baseline_brier == pytest.approx(3 * 0.25 / 24)


def test_the_cli_prints_the_report_as_json(shop: Path) -> None:
    done = CliRunner().invoke(app, ["backtest", "--project", str(shop), "--format", "json", "--kpi", "monthly_sales"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert list(report) == ["points", "interval", "kpis", "overall", "seconds"]
    (sales,) = report["kpis"]
    assert list(sales) == ["kpi", "segment", "label", "kind", "periods", "score"]
    assert list(sales["score"]) == [
        "replays",
        "known",
        "intervals",
        "covered",
        "coverage",
        "judged",
        "brier",
        "baseline_brier",
        "point_error",
    ]
    assert sales["score"]["covered"] == 12 and sales["score"]["baseline_brier"] == pytest.approx(0.0625)
    assert report["overall"] == sales["score"]


def test_one_point_halfway_and_the_table(shop: Path) -> None:
    done = CliRunner().invoke(app, ["backtest", "--project", str(shop), "--points", "1"], env={"COLUMNS": "100"})
    assert done.exit_code == 0, done.output
    assert "monthly_sales" in done.output and "4/4 100%" in done.output  # one replay per month
    unknown = CliRunner().invoke(app, ["backtest", "--project", str(shop), "--kpi", "nope"])
    assert unknown.exit_code == 1 and "no KPI named 'nope'" in unknown.output


def test_the_track_record(shop: Path) -> None:
    project = load_project(shop)
    store = Store.for_project(shop).ensure_current()
    try:
        record = backtest.track_record(project, store, "monthly_sales")
        # each month replayed halfway through: January 16, February 14, March 16, April 15
        assert (record.periods, record.score.intervals, record.score.covered) == (4, 4, 4)
        assert record.text == "the forecast's 80% interval held 4 of 4 past periods (forecast halfway through each)"
        assert backtest.track_record(project, store, "monthly_sales") is record  # kept until the next evaluation
        # as of the end of March, April is not over: three periods
        assert backtest.track_record(project, store, "monthly_sales", as_of=dt.date(2025, 3, 31)).periods == 3
        assert backtest.track_record(project, store, "q1_sales").periods == 0  # not recurring
    finally:
        store.close()


def test_the_track_record_follows_an_edited_kpi(shop: Path) -> None:
    """Regression: the kept record outlived an edit of the KPI until the next evaluation.

    With 305 a month to reach, February (280) and April (300) miss. The pace-only rule says 1 in
    January and March (310/305, met) and 0.5 in February (280/305 = 0.918) and April (300/305 =
    0.984), both at risk and missed: (6 x 0.5^2) / 12 = 0.125. The forecasts stay exact, their
    chance 1 or 0 as each month meets the target or not: Brier 0 before and after.
    """
    models = shop / "models" / "shop.yml"
    text = models.read_text(encoding="utf-8")
    store = Store.for_project(shop).ensure_current()
    try:
        before = backtest.track_record(load_project(shop), store, "monthly_sales")
        models.write_text(text.replace("target: {at_least: 295}}", "target: {at_least: 305}}", 1), encoding="utf-8")
        after = backtest.track_record(load_project(shop), store, "monthly_sales")
    finally:
        models.write_text(text, encoding="utf-8")
        store.close()
    assert after is not before
    assert before.score.brier == after.score.brier == 0
    assert before.score.baseline_brier == pytest.approx(0.0625)
    assert after.score.baseline_brier == pytest.approx(0.125)

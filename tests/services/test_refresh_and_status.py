"""Refresh and evaluation end to end, on a shop whose numbers are worked out by hand (see conftest.py).

As of 2025-04-15 (the last day of data, ``as_of: latest_data``), 2025-Q2 has 91
days of which 15 have passed; every day brings 10 (NORTH) + 20 (SOUTH) = 30 of
revenue, so Q2 to date is 15 x 30 = 450 and all of Q1 (90 days) is 2,700.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.services import scorecard
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store import runs
from onpace.store.db import Store

from .conftest import write_data


def _status(root: Path, store: Store) -> dict[tuple[str, str | None], dict[str, object]]:
    project = load_project(root)
    return {(r["kpi"], r["segment"]): r for r in scorecard.kpi_rows(project, store)}


def test_kpis_match_hand_computed_numbers(shop: Path, store_url: str) -> None:
    store = Store.open(store_url)
    try:
        result = refresh(load_project(shop), store, requested_by="test")
        assert result.status == "succeeded", result.errors
        rows = _status(shop, store)
    finally:
        store.close()

    q = rows[("q_revenue", None)]
    assert (q["period_start"], q["period_end"], q["as_of"]) == (dt.date(2025, 4, 1), dt.date(2025, 6, 30), LAST)
    assert q["actual"] == pytest.approx(450.0)
    assert q["expected_to_date"] == pytest.approx(2700 * 15 / 91)
    assert q["attainment"] == pytest.approx(450 / (2700 * 15 / 91))  # 1.011: on track
    assert q["status"] == "on_track"

    growth = rows[("q_growth", None)]  # +10% vs Q1's 2,700 = 2,970 for the quarter
    assert growth["target"] == pytest.approx(2970.0)
    assert growth["expected_to_date"] == pytest.approx(2970 * 15 / 91)
    assert growth["attainment"] == pytest.approx(450 / (2970 * 15 / 91))  # 0.919: at risk by pace
    # the verdict (docs/kpi-evaluation.md, "One verdict"): at 30 a day the quarter ends near
    # 450 + 76 x 30 = 2,730 < 2,970, under a 10% chance: off track
    assert growth["probability"] < 0.10 and growth["status"] == "off_track"

    done = rows[("q1_done", None)]  # the one period 2025-Q1 is over: 2,700 < 2,800
    assert (done["period_start"], done["actual"], done["status"]) == (dt.date(2025, 1, 1), 2700.0, "missed")

    north, south = rows[("by_region", "NORTH")], rows[("by_region", "SOUTH")]
    assert north["actual"] == pytest.approx(150.0)  # 15 x 10 against 1,000 x 15/91 = 164.8: at risk by pace
    # the verdict: 150 + 76 x 10 = 910 at the end < 1,000, under a 10% chance: off track
    assert north["probability"] < 0.10 and north["status"] == "off_track"
    assert south["actual"] == pytest.approx(300.0)  # 15 x 20 against 1,820 x 15/91 = 300 exactly
    assert south["attainment"] == pytest.approx(1.0)
    assert south["status"] == "on_track"

    late = rows[("lateness", None)]  # April to date: 6 late lines (SOUTH, days 1-6) of 30
    assert late["actual"] == pytest.approx(0.2)
    assert late["attainment"] == pytest.approx(0.1 / 0.2)
    assert late["status"] == "off_track"

    nowhere = rows[("nowhere", None)]  # a segment without sales sold 0, which is not "no data"
    assert (nowhere["actual"], nowhere["status"]) == (0.0, "off_track")
    assert rows[("later", None)]["status"] == "no_data"  # 2030-Q1 has no data yet
    for row in rows.values():
        if row["forecast"] is not None and row["status"] != "missed":
            assert row["forecast_low"] <= row["forecast_high"]
            assert 0.0 <= row["probability"] <= 1.0


def test_objective_rolls_up_weighted_statuses(shop: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'rollup.db'}")
    try:
        refresh(load_project(shop), store, requested_by="test")
        project = load_project(shop)
        (root,) = scorecard.tree(project, scorecard.kpi_rows(project, store))
    finally:
        store.close()
    # q_revenue on track 1 + q_growth off track 0 (at risk by pace, no chance by the forecast: the
    # verdict) + q1_done missed 0 + lateness off track 0 + nowhere off track 0, each of weight 1;
    # by_region's two segments share its weight: NORTH off track 0 (the same) and SOUTH on track
    # 1 x 0.5. So (1 + 0.5) / 6 = 0.25; 'later' has no data and is left out
    assert root.score == pytest.approx(1.5 / 6)
    assert root.status == "off_track"


def _values(store: Store) -> dict[tuple[str, str, str], list[tuple[dt.date, float | None]]]:
    with store.session(readonly=True) as s:
        return {
            (x.metric, x.grain, x.segment): obs.read_series(s, x.metric, x.grain, x.segment) for x in obs.list_series(s)
        }


def test_incremental_refresh_equals_a_full_one(shop: Path, tmp_path: Path) -> None:
    project = load_project(shop)
    incremental = Store.open(f"sqlite:///{tmp_path / 'incremental.db'}")
    full = Store.open(f"sqlite:///{tmp_path / 'full.db'}")
    try:
        first = refresh(project, incremental, requested_by="test")
        write_data(shop / "data" / "warehouse.duckdb", last=LAST + dt.timedelta(days=1))  # one more day
        second = refresh(load_project(shop), incremental, requested_by="test")
        refresh(load_project(shop), full, full=True, requested_by="test")
        assert second.mode == "incremental"
        # only the recent periods were rewritten: the line counts have no daily series, so their months
        # restart in March (the lookback counts back from April 1); the month query they share with revenue
        # and the late rate reads March again, and so the days of those two restart there too
        assert second.rows < first.rows / 10
        assert _values(incremental) == _values(full)
        assert _status(shop, incremental)[("q_revenue", None)]["actual"] == pytest.approx(16 * 30.0)
    finally:
        incremental.close()
        full.close()


def test_a_failing_metric_keeps_its_last_values_and_the_others_refresh(shop: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        refresh(load_project(shop), store, requested_by="test")
        before = _values(store)
        database = shop / "data" / "warehouse.duckdb"
        write_data(database, scale=2.0)  # revenue doubles ...
        con = duckdb.connect(str(database))
        con.execute("DROP TABLE visits")  # ... and the visits table is gone
        con.close()
        result = refresh(load_project(shop), store, full=True, requested_by="test")
        after = _values(store)
        with store.session(readonly=True) as s:
            run = runs.get_run(s, result.run_id)
    finally:
        store.close()
    assert result.status == "partial"
    assert sorted(result.errors) == ["visits (day)", "visits (month)", "visits (quarter)"]
    assert "visits" in result.errors["visits (month)"]  # the message names the missing table
    assert (run.status, run.metrics_failed) == ("partial", 1)
    assert after[("visits", "month", "")] == before[("visits", "month", "")]
    april_before = dict(before[("revenue", "month", "")])[dt.date(2025, 4, 1)]
    assert dict(after[("revenue", "month", "")])[dt.date(2025, 4, 1)] == pytest.approx(2 * april_before)


LAST = dt.date(2025, 4, 15)


def test_an_unfinished_full_refresh_is_carried_on_by_the_next_incremental_one(shop: Path, tmp_path: Path) -> None:
    """History changed and a full refresh died before any series: the next incremental one redoes them all."""
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        refresh(load_project(shop), store, requested_by="test")
        before = dict(_values(store)[("revenue", "month", "")])
        write_data(shop / "data" / "warehouse.duckdb", scale=2.0)  # every amount doubles, all history
        with store.session() as s:  # a full refresh that was killed before it wrote anything
            dead = runs.start_run(s, "full", "test", pid=None)
            runs.finish_run(s, dead, "interrupted", 0, 0)
        again = refresh(load_project(shop), store, requested_by="test")
        after = dict(_values(store)[("revenue", "month", "")])
    finally:
        store.close()
    assert again.mode == "incremental" and again.status == "succeeded"
    assert after[dt.date(2024, 1, 1)] == pytest.approx(2 * before[dt.date(2024, 1, 1)])  # not only recent periods

"""The TPC-H example's objectives and KPIs: every target and phasing kind, refreshed and evaluated (scale 0.01).

The actuals are checked against hand-written SQL over the generated tables.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from onpace.catalog import goals as g
from onpace.catalog.project import load_project
from onpace.examples.tpch_data import DATABASE, generate, scale_targets
from onpace.services import scorecard
from onpace.services.refresh import refresh
from onpace.store.db import Store

SCALE = 0.01
AS_OF = dt.date(1998, 8, 2)  # the last order date of TPC-H


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    root = generate(tmp_path_factory.mktemp("tpch-kpis") / "project", SCALE)
    project = load_project(root)
    store = Store.open(f"sqlite:///{root / 'store.db'}")
    try:
        result = refresh(project, store, requested_by="test")
        assert result.status == "succeeded", result.errors
        rows = scorecard.kpi_rows(project, store)
    finally:
        store.close()
    return root, rows


def test_every_target_and_phasing_kind_is_used() -> None:
    project = load_project(Path(__file__).parents[2] / "src" / "onpace" / "examples" / "tpch", check=False)
    targets = [t for kpi in project.kpis.values() for t in kpi.all_targets]
    kinds = {t.kind for t in targets}
    assert kinds == {"at_least", "at_most", "between", "change"}
    assert {t.vs for t in targets if t.vs} == {"same_period_last_year", "previous_period"}
    assert any(t.effective_from for t in targets), "a dated schedule"
    assert any(t.segment for t in targets), "per-segment targets"
    assert any(k.segment for k in project.kpis.values()), "a KPI restricted to a segment"
    phasings = {"milestones" if isinstance(k.phasing, g.MilestonePhasing) else k.phasing for k in project.kpis.values()}
    assert phasings == {"linear", "seasonal", "milestones"}
    timeframes = {k.timeframe.every or "one period" for k in project.kpis.values() if k.timeframe}
    assert {"quarter", "month", "year", "fiscal_quarter", "fiscal_year", "one period"} <= timeframes


def test_refresh_and_status_on_the_example(refreshed: tuple[Path, list[dict[str, object]]]) -> None:
    root, rows = refreshed
    project = load_project(root)
    instances = {(r["kpi"], r["segment"]) for r in rows}
    assert len(instances) == len(rows) == 12  # 7 KPIs + orders_by_region's 5 regions
    assert {kpi for kpi, _ in instances} == set(project.kpis)
    assert all(r["status"] != "no_data" for r in rows)
    # each KPI is judged as of the last day with data of its own series: a region's, its last order
    # (at scale 0.01 Europe's is 1998-07-31, so its monthly KPI is judged on July, which is over)
    con = duckdb.connect(str(root / DATABASE), read_only=True)
    try:
        last_order = dict(
            con.execute(
                """SELECT r_name, MAX(o_orderdate) FROM orders JOIN customer ON o_custkey = c_custkey
                   JOIN nation ON c_nationkey = n_nationkey JOIN region ON n_regionkey = r_regionkey
                   GROUP BY r_name"""
            ).fetchall()
        )
    finally:
        con.close()
    for r in rows:
        region = "EUROPE" if r["kpi"] == "europe_revenue" else r["segment"]
        assert r["as_of"] == (last_order[region] if region else AS_OF), (r["kpi"], r["segment"])


def _sql(root: Path, query: str) -> float:
    con = duckdb.connect(str(root / DATABASE), read_only=True)
    try:
        return float(con.execute(query).fetchall()[0][0])
    finally:
        con.close()


def test_actuals_match_hand_written_sql(refreshed: tuple[Path, list[dict[str, object]]]) -> None:
    root, rows = refreshed
    by = {(r["kpi"], r["segment"]): r for r in rows}
    revenue_q3 = _sql(
        root,
        """SELECT SUM(l_extendedprice * (1 - l_discount)) FROM lineitem JOIN orders ON l_orderkey = o_orderkey
           WHERE o_orderdate BETWEEN DATE '1998-07-01' AND DATE '1998-08-02'""",
    )
    assert by[("quarterly_revenue", None)]["actual"] == pytest.approx(revenue_q3, rel=1e-9)
    # the schedule's entry from 1998-07-01 applies to Q3: 8.6e9 at scale 1
    assert by[("quarterly_revenue", None)]["target"] == pytest.approx(8_600_000_000 * SCALE)
    europe_orders = _sql(
        root,
        """SELECT COUNT(DISTINCT o_orderkey) FROM orders JOIN customer ON o_custkey = c_custkey
           JOIN nation ON c_nationkey = n_nationkey JOIN region ON n_regionkey = r_regionkey
           WHERE r_name = 'EUROPE' AND o_orderdate BETWEEN DATE '1998-04-01' AND DATE '1998-08-02'""",
    )
    assert by[("orders_by_region", "EUROPE")]["actual"] == pytest.approx(europe_orders)
    on_time = _sql(
        root,
        """SELECT AVG(CASE WHEN l_receiptdate <= l_commitdate THEN 1.0 ELSE 0.0 END)
           FROM lineitem JOIN orders ON l_orderkey = o_orderkey
           WHERE o_orderdate BETWEEN DATE '1998-07-01' AND DATE '1998-08-02'""",
    )
    assert by[("on_time_delivery", None)]["actual"] == pytest.approx(on_time, rel=1e-9)
    last_year = _sql(
        root,
        """SELECT SUM(l_extendedprice * (1 - l_discount)) FROM lineitem JOIN orders ON l_orderkey = o_orderkey
           WHERE o_orderdate BETWEEN DATE '1997-01-01' AND DATE '1997-12-31'""",
    )
    assert by[("revenue_growth", None)]["target"] == pytest.approx(last_year * 1.03, rel=1e-9)  # +3% vs 1997


def test_scaled_targets() -> None:
    text = "    target: {at_least: 560000000}     # scaled\n    target: {at_most: 0.01}\n"
    assert (
        scale_targets(text, 0.1)
        == "    target: {at_least: 56000000}     # for scale 0.1\n    target: {at_most: 0.01}\n"
    )

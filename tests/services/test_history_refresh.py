"""The history a refresh keeps: every past period of every KPI, achieved or missed, worked out by hand.

The shop of conftest.py: NORTH sells 10 a day and SOUTH 20 from 2024-01-01 to 2025-04-15
(``as_of: latest_data``: every KPI is judged in 2025-Q2). Quarters have 91, 91, 92, 92 days in
2024 and 90 in 2025-Q1, so 30 a day makes 2,730, 2,730, 2,760, 2,760 and 2,700.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.services import kpi_history, scorecard
from onpace.services.evaluate import evaluate_all
from onpace.services.refresh import refresh
from onpace.store import evaluations as ev
from onpace.store import observations as obs
from onpace.store.db import Store

D = dt.date


def _periods(store: Store, kpi: str, segment: str = "") -> list[tuple[str, float | None, float | None, str]]:
    """(period start, actual, target, status), oldest first."""
    past = kpi_history.past_periods(store, kpi, segment)
    return [(e.period_start.isoformat(), e.actual, e.target, e.status) for e in reversed(past)]


@pytest.fixture
def refreshed(shop: Path, tmp_path: Path) -> Any:
    store = Store.open(f"sqlite:///{tmp_path / 'history.db'}")
    result = refresh(load_project(shop), store, requested_by="test")
    assert result.status == "succeeded", result.errors
    yield store
    store.close()


def test_the_first_refresh_judges_every_past_quarter(refreshed: Store) -> None:
    assert _periods(refreshed, "q_revenue") == [  # at least 2,700
        ("2024-01-01", 2730.0, 2700.0, "achieved"),
        ("2024-04-01", 2730.0, 2700.0, "achieved"),
        ("2024-07-01", 2760.0, 2700.0, "achieved"),
        ("2024-10-01", 2760.0, 2700.0, "achieved"),
        ("2025-01-01", 2700.0, 2700.0, "achieved"),  # exactly on target
    ]
    # +10% on the quarter before: 2024-Q1 has none (left out)
    growth = _periods(refreshed, "q_growth")
    assert [(p, a, s) for p, a, _, s in growth] == [
        ("2024-04-01", 2730.0, "missed"),
        ("2024-07-01", 2760.0, "missed"),
        ("2024-10-01", 2760.0, "missed"),
        ("2025-01-01", 2700.0, "missed"),
    ]
    assert [t for *_, t, _ in growth] == pytest.approx([2730 * 1.1, 2730 * 1.1, 2760 * 1.1, 2760 * 1.1])
    assert _periods(refreshed, "q1_done") == [("2025-01-01", 2700.0, 2800.0, "missed")]  # its one period
    assert [s for *_, s in _periods(refreshed, "by_region", "SOUTH")] == ["achieved"] * 4 + ["missed"]  # 1,800
    assert _periods(refreshed, "later") == []  # 2030-Q1


def test_a_rate_is_judged_on_each_months_own_value(refreshed: Store) -> None:
    # SOUTH's lines on days 1-6 are late, of two lines a day: 6/62 in a 31-day month, 6/60 = 0.1 in a
    # 30-day one (exactly the target), 6/58 in February 2024 and 6/56 in February 2025 (missed)
    months = _periods(refreshed, "lateness")
    assert len(months) == 15 and months[0][0] == "2024-01-01" and months[-1][0] == "2025-03-01"
    missed = [p for p, _, _, s in months if s == "missed"]
    assert missed == ["2024-02-01", "2025-02-01"]
    assert dict((p, a) for p, a, _, _ in months)["2024-02-01"] == pytest.approx(6 / 58)
    assert dict((p, a) for p, a, _, _ in months)["2024-04-01"] == pytest.approx(0.1)


def test_each_row_has_its_last_period_and_streak(shop: Path, refreshed: Store) -> None:
    rows = {(r.kpi, r.segment): r for r in scorecard.kpi_rows(load_project(shop), refreshed)}
    revenue = rows[("q_revenue", None)]
    assert revenue.last_period is not None
    assert (revenue.last_period.period, revenue.last_period.status, revenue.streak) == ("2025-Q1", "achieved", 5)
    assert (revenue.last_period.actual, revenue.last_period.target) == (2700.0, 2700.0)
    south = rows[("by_region", "SOUTH")]
    assert (south.last_period and south.last_period.status, south.streak) == ("missed", 1)
    late = rows[("lateness", None)]
    assert (late.last_period and late.last_period.period, late.streak) == ("2025-03", 1)  # February missed
    later = rows[("later", None)]
    assert (later.last_period, later.streak) == (None, 0)
    # the data as of: the last day with data, 15 of Q2's 91 days
    assert revenue.data_until == D(2025, 4, 15)
    assert revenue.elapsed_share == pytest.approx(15 / 91)
    assert revenue.reason and revenue.reason.startswith("101% of the linear pace; forecast")


def test_later_refreshes_keep_it_up_to_date(shop: Path, refreshed: Store) -> None:
    with refreshed.session(readonly=True) as s:
        before = {(p.kpi, p.segment, p.period_start): (p.evaluated_at, p.run_id) for p in ev.read_periods(s)}
    # a correction in 2024-Q3 (outside any look-back: a full refresh picks it up) ...
    con = duckdb.connect(str(shop / "data" / "warehouse.duckdb"))
    con.execute("INSERT INTO sales VALUES ('2024-08-01', 'NORTH', 100.0, 0)")
    con.close()
    result = refresh(load_project(shop), refreshed, requested_by="test", full=True)
    assert _periods(refreshed, "q_revenue")[2] == ("2024-07-01", 2860.0, 2700.0, "achieved")
    # ... rewrites the periods it changed; the others keep when and by which run they were written
    with refreshed.session(readonly=True) as s:
        after = {(p.kpi, p.segment, p.period_start): (p.evaluated_at, p.run_id) for p in ev.read_periods(s)}
    assert set(after) == set(before)
    changed = {key for key in after if after[key] != before[key]}
    assert ("q_revenue", "", D(2024, 7, 1)) in changed and after[("q_revenue", "", D(2024, 7, 1))][1] == result.run_id
    assert ("q_revenue", "", D(2024, 4, 1)) not in changed
    assert ("q_growth", "", D(2024, 10, 1)) in changed  # its baseline, 2024-Q3, changed
    # a new target shows on the next refresh, incremental as it is
    models = shop / "models" / "shop.yml"
    models.write_text(models.read_text().replace("target: {at_least: 2700}", "target: {at_least: 2750}"))
    refresh(load_project(shop), refreshed, requested_by="test")
    assert [s for *_, s in _periods(refreshed, "q_revenue")] == ["missed", "missed", "achieved", "achieved", "missed"]


MANUAL = """
metrics:
  - {name: headcount, type: manual, grain: quarter, over_time: last}
  - {name: donations, type: manual, grain: quarter, over_time: sum}
kpis:
  - name: staff
    metric: headcount
    objective: grow
    owner: People
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 100}
  - name: giving
    metric: donations
    objective: grow
    owner: Finance
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 920}
"""


def test_a_value_for_a_whole_period_is_not_achieved_before_the_period_ends(shop: Path, tmp_path: Path) -> None:
    """Issue 16: a value entered on 2026-11-15 for the whole of 2026-Q4 made the KPI "achieved" at once
    (``as_of: latest_data`` took the last day the value covers, 2026-12-31, as the as-of date)."""
    (shop / "models" / "manual.yml").write_text(MANUAL, encoding="utf-8")
    project = load_project(shop)
    store = Store.open(f"sqlite:///{tmp_path / 'manual.db'}")
    try:
        with store.session() as s:
            for metric, value in (("headcount", 120.0), ("donations", 1000.0)):
                series = obs.get_or_create_series(s, metric, "quarter", "", "manual")
                obs.write_observations(s, series, [(D(2026, 10, 1), value)])
        during = {r.instance.kpi.name: r for r in evaluate_all(project, store, today=D(2026, 11, 15))}
        staff, giving = during["staff"].evaluation, during["giving"].evaluation
        assert (staff.as_of, staff.actual, staff.status.value) == (D(2026, 11, 15), 120.0, "on_track")
        # a sum spread over Q4's 92 days: 46 of them by 2026-11-15, 500 against 920 x 46/92 = 460
        assert giving.as_of == D(2026, 11, 15)
        assert giving.actual == pytest.approx(500.0) and giving.expected_to_date == pytest.approx(460.0)
        assert giving.pace_status is not None and giving.pace_status.value == "on_track"
        assert during["staff"].past == ()
        # once the quarter is over, the same value achieves it
        after = {r.instance.kpi.name: r for r in evaluate_all(project, store, today=D(2027, 1, 5))}
        assert after["staff"].evaluation.status.value == "achieved"
        assert after["giving"].evaluation.actual == pytest.approx(1000.0)
        assert after["giving"].evaluation.status.value == "achieved"
    finally:
        store.close()

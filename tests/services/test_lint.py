"""`onpace lint` rules on the hand-computed shop (see conftest.py) and on series written by hand."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.services.findings import Finding
from onpace.services.lint import lint
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store.db import Store

DAY_AFTER = dt.date(2025, 4, 16)


def _by_rule(findings: list[Finding]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f.rule, set()).add(f.name)
    return out


@pytest.fixture
def refreshed(shop: Path, tmp_path: Path) -> Store:
    (shop / "models" / "extra.yml").write_text(
        textwrap.dedent(
            """
            kpis:
              - name: steady_visits      # 2,800 to 3,100 visits a month: met every month
                metric: visits
                objective: grow
                owner: Marketing
                timeframe: month
                review_cadence: monthly
                target: {at_least: 2000}
            """
        ),
        encoding="utf-8",
    )
    store = Store.open(f"sqlite:///{tmp_path / 'lint.db'}")
    assert refresh(load_project(shop), store, requested_by="test").status == "succeeded"
    yield store
    store.close()


def test_rules_on_the_shop(shop: Path, refreshed: Store) -> None:
    found = _by_rule(lint(load_project(shop), refreshed, today=DAY_AFTER))
    assert found["too_many_kpis_per_objective"] == {"grow"}  # 9 KPIs, more than 5
    assert found["same_priority"] == {"grow"}  # all priority 3
    # Q1 2025 made 90 x 30 = 2,700, which already meets q_revenue's 'at least 2,700'
    assert "q_revenue" in found["target_already_met"]
    # 2025-Q1 asks for 2,800; the best quarter before it made 92 x 30 = 2,760
    assert "q1_done" in found["target_beyond_history"]
    assert "q_revenue" not in found.get("target_beyond_history", set())
    # met period after period while objective 'grow' is not on track: steady_visits every month, and
    # q_revenue (at least 2,700) every quarter since 2024 (2,730, 2,730, 2,760, 2,760, 2,700)
    assert found["suggest_demotion"] == {"steady_visits", "q_revenue"}
    assert {"revenue", "visits", "late_rate"} <= found["metric_without_owner"]
    assert "stale_data" not in found  # the data is from the day before
    assert {"q_revenue", "by_region [NORTH]"} <= found["review_overdue"]  # never reviewed


def test_stale_data_is_flagged_by_cadence(shop: Path, refreshed: Store) -> None:
    weekly_late = DAY_AFTER + dt.timedelta(days=10)  # 'lateness' is reviewed weekly: 11 days is too long
    stale = _by_rule(lint(load_project(shop), refreshed, today=weekly_late)).get("stale_data", set())
    assert "lateness" in stale
    assert "q_revenue" not in stale  # reviewed monthly: 11 days is fine


def test_a_leading_metric_is_suggested_as_a_driver(shop: Path, tmp_path: Path) -> None:
    """Monthly visits change one month before revenue does, by the same factor: correlation +1 at lag 1."""
    store = Store.open(f"sqlite:///{tmp_path / 'drivers.db'}")
    months = [dt.date(2022 + i // 12, i % 12 + 1, 1) for i in range(24)]
    factors = [1.0 + 0.1 * ((i * 7) % 5 - 2) for i in range(24)]  # irregular ups and downs
    visits, revenue = [1000.0], [5000.0]
    for i in range(1, 24):
        visits.append(visits[-1] * factors[i])
        revenue.append(revenue[-1] * (factors[i - 1] if i >= 2 else 1.0))  # revenue follows a month later
    with store.session() as s:
        for name, values in (("visits", visits), ("revenue", revenue)):
            series = obs.get_or_create_series(s, name, "month", "", "engine")
            obs.write_observations(s, series, list(zip(months, values, strict=True)))
    try:
        found = [f for f in lint(load_project(shop), store) if f.rule == "suggest_driver" and f.name == "q_revenue"]
    finally:
        store.close()
    assert any("'visits' leads it by 1 month" in f.message for f in found), found


def test_stale_manual_values_are_flagged(shop: Path, tmp_path: Path) -> None:
    """A monthly value entered for January covers January: in mid-April it is two months stale."""
    (shop / "models" / "manual.yml").write_text(
        textwrap.dedent(
            """
            metrics:
              - {name: engagement, type: manual, grain: month, over_time: avg}
            kpis:
              - name: engaged_staff
                metric: engagement
                objective: grow
                owner: People
                timeframe: quarter
                review_cadence: monthly
                target: {at_least: 70}
            """
        ),
        encoding="utf-8",
    )
    store = Store.open(f"sqlite:///{tmp_path / 'manual.db'}")
    try:
        with store.session() as s:
            series = obs.get_or_create_series(s, "engagement", "month", "", "manual")
            obs.write_observations(s, series, [(dt.date(2025, 1, 1), 72.0)])
        stale = {f.name: f.message for f in lint(load_project(shop), store, today=DAY_AFTER) if f.rule == "stale_data"}
    finally:
        store.close()
    assert "2025-01-31, 75 days ago" in stale["engaged_staff"]

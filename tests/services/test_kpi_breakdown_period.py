"""A KPI's breakdown covers the period it is judged in, up to the as-of date (issue 16, "what was seen" 5).

The demo's "Checkout uptime in 2025", judged in 2026, was broken down over 2025-01-01 to the
last day of data (2026-11-18): 99.950%, while the KPI's 2025 actual is 99.924%.

The shop of ``conftest.py`` has data from 2024-01-01 to 2025-04-15 and ``as_of: latest_data``,
so every KPI is judged as of 2025-04-15. Two one-off KPIs of 2025-Q1 (90 days), over by then:

- ``q1_done``, revenue: NORTH 10 a day, SOUTH 20 a day: NORTH 900, SOUTH 1,800; the actual
  2,700. Over 2025-01-01..2025-04-15 (105 days) it would be 1,050 and 2,100.
- ``q1_late``, the late rate (late lines / lines): one line a day per region; SOUTH's lines
  are late on days 1..6 of each month, 18 in Q1: NORTH 0 / 90 = 0, SOUTH 18 / 90 = 0.2, the
  actual 18 / 180 = 0.1. Up to 2025-04-15 SOUTH would be 24 / 105 = 0.2286 (and 24 / 210 overall).

A KPI whose period runs (``q_revenue``, each quarter) is broken down from the quarter's first
day to the as-of date: 2025-04-01..2025-04-15, NORTH 150, SOUTH 300.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from onpace.config import Settings
from onpace.errors import UserError
from onpace.services import kpi_page, scorecard
from onpace.services.refresh import refresh
from onpace.services.views.scorecard import ScorecardRow
from onpace.services.workspace import Workspace

Q1_LATE = """
kpis:
  - name: q1_late
    metric: late_rate
    objective: grow
    owner: Operations
    timeframe: 2025-Q1
    review_cadence: monthly
    target: {at_most: 0.15}
"""


@pytest.fixture
def workspace(shop: Path) -> Iterator[Workspace]:
    (shop / "models" / "late.yml").write_text(Q1_LATE, encoding="utf-8")
    (shop / ".onpace").mkdir()
    settings = Settings(
        database_url=f"sqlite:///{(shop / '.onpace' / 'store.db').as_posix()}", environment="development"
    )
    ws = Workspace(shop, settings)
    try:
        result = refresh(ws.project(), ws.store)
        assert not result.failures, result.failures
        yield ws
    finally:
        ws.close()


def _row(ws: Workspace, kpi: str) -> ScorecardRow:
    [row] = [r for r in scorecard.kpi_rows(ws.project(), ws.store) if r.kpi == kpi]
    return row


def test_an_ended_flow_kpi_is_broken_down_over_its_period(workspace: Workspace) -> None:
    row = _row(workspace, "q1_done")
    assert (row.period_start, row.period_end, row.as_of) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 3, 31),
        dt.date(2025, 4, 15),
    )
    assert row.actual == pytest.approx(2700)

    result = kpi_page.breakdown(workspace, "q1_done", "region")

    assert (result.start, result.end) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert {r.value_of: r.value for r in result.rows} == {"SOUTH": pytest.approx(1800), "NORTH": pytest.approx(900)}
    assert sum(r.value or 0 for r in result.rows) == pytest.approx(row.actual)


def test_an_ended_ratio_kpi_is_broken_down_over_its_period(workspace: Workspace) -> None:
    row = _row(workspace, "q1_late")
    assert row.actual == pytest.approx(18 / 180)

    result = kpi_page.breakdown(workspace, "q1_late", "region")

    assert (result.start, result.end) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert {r.value_of: r.value for r in result.rows} == {"SOUTH": pytest.approx(18 / 90), "NORTH": pytest.approx(0)}
    # each region has 90 lines: the KPI's ratio is the mean of the two regions' ratios here
    assert sum(r.value or 0 for r in result.rows) / 2 == pytest.approx(row.actual)


def test_a_running_kpi_is_broken_down_up_to_the_as_of_date(workspace: Workspace) -> None:
    row = _row(workspace, "q_revenue")
    assert (row.period_start, row.as_of) == (dt.date(2025, 4, 1), dt.date(2025, 4, 15))

    result = kpi_page.breakdown(workspace, "q_revenue", "region")

    assert (result.start, result.end) == (dt.date(2025, 4, 1), dt.date(2025, 4, 15))
    assert {r.value_of: r.value for r in result.rows} == {"SOUTH": pytest.approx(300), "NORTH": pytest.approx(150)}
    assert sum(r.value or 0 for r in result.rows) == pytest.approx(row.actual)


def test_a_drill_down_cannot_widen_the_kpis_segment(workspace: Workspace) -> None:
    """``where=region = region) or (region = region`` closed the parentheses the drill-down was put in
    and or-ed away the segment: the NORTH segment's breakdown listed SOUTH's 300 too. Now the filter
    is refused as it was typed (its own column, no parenthesis the user never wrote)."""
    north = kpi_page.breakdown(workspace, "by_region", "region", segment="NORTH")
    assert {r.value_of: r.value for r in north.rows} == {"NORTH": pytest.approx(150)}  # 10 a day, Apr 1-15
    with pytest.raises(UserError, match="unexpected") as info:
        kpi_page.breakdown(
            workspace, "by_region", "region", segment="NORTH", where="region = region) or (region = region"
        )
    assert "'region = region) or (region = region'" in str(info.value)
    with pytest.raises(UserError) as info:
        kpi_page.breakdown(workspace, "by_region", "region", segment="NORTH", where="region =")
    assert "')'" not in str(info.value) and "'region ='" in str(info.value)
    fine = kpi_page.breakdown(workspace, "by_region", "region", segment="NORTH", where="region = 'NORTH' or 1 = 1")
    assert {r.value_of: r.value for r in fine.rows} == {"NORTH": pytest.approx(150)}  # or-ed inside its own parentheses

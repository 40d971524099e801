"""What `onpace lint` says, as a person reads it: numbers in the metric's format, periods by name,
drivers with their direction and lag (never the KPI metric's own parts), and KPIs whose one period
is over asked for one closing review instead of a review at every cadence.

The shop (conftest.py) makes 30 a day (NORTH 10, SOUTH 20) from 2024-01-01 to 2025-04-15.
"""

from __future__ import annotations

import datetime as dt
import math
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
MONTHS = [dt.date(2022 + i // 12, i % 12 + 1, 1) for i in range(24)]
# a yearly rhythm of monthly changes (+5%, +8.7%, +10%, ... -10%, ...): any month's change is much like
# the month before's (their correlation is cos 30° = 0.87), as for a seasonal business
FACTORS = [1.0 + 0.1 * math.sin(2 * math.pi * i / 12) for i in range(24)]


@pytest.fixture
def refreshed(shop: Path, tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'lint.db'}")
    assert refresh(load_project(shop), store, requested_by="test").status == "succeeded"
    yield store
    store.close()


def _messages(findings: list[Finding], rule: str) -> dict[str, Finding]:
    return {f.name: f for f in findings if f.rule == rule}


def test_numbers_and_periods_are_written_for_people(shop: Path, refreshed: Store) -> None:
    found = lint(load_project(shop), refreshed, today=DAY_AFTER)
    met = _messages(found, "target_already_met")["q_revenue"]
    # 2025-Q1: 90 days x 30 = 2,700, the target of q_revenue (at least 2,700), judged in 2025-Q2
    assert met.message == "the period before (2025-01-01) already reached at least 2,700 with 2,700"
    beyond = _messages(found, "target_beyond_history")["q1_done"]
    # q1_done asks 2,800 in 2025-Q1; the best quarter before: 92 days x 30 = 2,760
    assert beyond.message == "at least 2,800 needs a pace no period in the history showed (best: 2,760)"
    assert not any("e+" in f.message for f in found)


def test_numbers_are_in_the_metric_s_format(shop: Path, tmp_path: Path) -> None:
    """No 4e+06, no bare 0.0968: a currency target in millions, a rate in percent.

    Revenue's best quarter before 2025-Q2 is 92 days x 30 = 2,760; SOUTH's 6 late days of a
    month are 6 of the month's 2 lines a day: 6 / 62 = 9.7% in a 31-day month, the lowest."""
    (shop / "models" / "formats.yml").write_text(
        textwrap.dedent(
            """
            metrics:
              - {name: revenue_eur, measure: revenue, format: {kind: currency, currency: EUR, decimals: 0}}
              - name: late_pct
                type: ratio
                numerator: late_lines
                denominator: lines
                direction: lower
                format: {kind: percent, decimals: 1}
            kpis:
              - {name: big_quarter, metric: revenue_eur, objective: grow, owner: Sales, timeframe: quarter,
                 review_cadence: monthly, target: {at_least: 4000000}}
              - {name: punctual, metric: late_pct, objective: grow, owner: Operations, timeframe: month,
                 review_cadence: monthly, target: {at_most: 0.01}}
            """
        ),
        encoding="utf-8",
    )
    store = Store.open(f"sqlite:///{tmp_path / 'formats.db'}")
    try:
        assert refresh(load_project(shop), store, requested_by="test").status == "succeeded"
        beyond = _messages(lint(load_project(shop), store, today=DAY_AFTER), "target_beyond_history")
    finally:
        store.close()
    assert beyond["big_quarter"].message == (
        "at least 4.0M EUR needs a pace no period in the history showed (best: 2,760 EUR)"
    )
    assert beyond["punctual"].message == "at most 1.0% needs a pace no period in the history showed (best: 9.7%)"


def test_a_kpi_whose_period_is_over_needs_one_closing_review(shop: Path, refreshed: Store) -> None:
    found = lint(load_project(shop), refreshed, today=DAY_AFTER)
    due = _messages(found, "review_overdue")
    # q1_done is 2025-Q1, over on 2025-03-31: an info asking for one review, not a warning per cadence
    assert due["q1_done"].severity == "info"
    assert due["q1_done"].message == (
        "its period 2025-Q1 ended on 2025-03-31 and it was never reviewed: record what was learnt"
    )
    assert due["q_revenue"].severity == "warning"  # a recurring KPI never reviewed


def _write(store: Store, series: dict[str, list[float]]) -> None:
    with store.session() as s:
        for name, values in series.items():
            stored = obs.get_or_create_series(s, name, "month", "", "engine")
            obs.write_observations(s, stored, list(zip(MONTHS, values, strict=True)))


def _following(factors: list[float], start: float, lag: int = 0, sign: int = 1) -> list[float]:
    """A series whose change in month i is ``sign`` times factor i - lag's change (1 before that)."""
    values = [start]
    for i in range(1, len(factors)):
        f = factors[i - lag] if i - lag >= 1 else 1.0
        values.append(values[-1] * (1 + sign * (f - 1)))
    return values


def test_a_driver_is_said_with_its_direction_and_lag(shop: Path, tmp_path: Path) -> None:
    """Visits change a month before revenue, the same way (r = +1); lines change a month before it the
    other way (r = -1). late_lines changes as revenue does, the same month: its changes also correlate
    0.87 with revenue's a month later (the rhythm), but it moves with revenue and leads nothing."""
    store = Store.open(f"sqlite:///{tmp_path / 'drivers.db'}")
    revenue = _following(FACTORS, 5000.0, lag=1)
    _write(
        store,
        {
            "revenue": revenue,
            "visits": _following(FACTORS, 1000.0),
            "lines": _following(FACTORS, 300.0, sign=-1),
            "late_lines": [v / 100 for v in revenue],  # the same changes as revenue, the same month
        },
    )
    try:
        found = [f for f in lint(load_project(shop), store) if f.rule == "suggest_driver" and f.name == "q_revenue"]
    finally:
        store.close()
    by_metric = {(f.suggestion or "").split("'")[1]: f.message for f in found}
    assert by_metric["visits"] == (
        "metric 'visits' leads it by 1 month, same direction, r=+1.00: when visits rises, revenue rises 1 month later"
    )
    assert by_metric["lines"] == (
        "metric 'lines' leads it by 1 month, opposite direction, r=-1.00: when lines rises, revenue falls 1 month later"
    )
    assert "late_lines" not in by_metric, by_metric


def test_a_metric_is_never_offered_as_a_driver_of_its_own_ratio(shop: Path, tmp_path: Path) -> None:
    """late_rate = late_lines / lines: lines leading late_rate by a month is its denominator, no driver;
    visits, the same series, is one."""
    store = Store.open(f"sqlite:///{tmp_path / 'parts.db'}")
    leading = _following(FACTORS, 1000.0)
    _write(store, {"late_rate": _following(FACTORS, 0.1, lag=1), "lines": leading, "visits": leading})
    try:
        found = [f for f in lint(load_project(shop), store) if f.rule == "suggest_driver" and f.name == "lateness"]
    finally:
        store.close()
    suggested = {(f.suggestion or "").split("'")[1] for f in found}
    assert "visits" in suggested
    assert "lines" not in suggested, suggested

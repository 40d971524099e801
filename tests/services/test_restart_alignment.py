"""Where each grain of an incremental refresh restarts, when the grains' periods do not nest.

The days of a metric restart at the earliest day any of its grains reads again (so a quarter that
reads a late row from its first day has that row in its days too); its other grains restart at their
own start, or at the first of their periods that starts on or after those days — never before the
days, which would bring back the bug for an earlier period (a review found a week pulling a year
back a whole year, and a year of one metric pulling another metric's quarter before its days).

``_restart`` is replaced by each grain's period holding the lookback's day, as it computes it for a
series with data; every expected date is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from onpace import calendar as cal
from onpace.calendar import Grain as G
from onpace.services import refresh
from onpace.services.needs import SeriesSpec


def _starts(
    monkeypatch: pytest.MonkeyPatch, specs: list[SeriesSpec], back: dt.date, fiscal_year_start: int = 1
) -> dict[tuple[str, str], dt.date | None]:
    rules = SimpleNamespace(week_start="monday", fiscal_year_start=fiscal_year_start, fiscal_year_named_by="end")
    project: Any = SimpleNamespace(calendar=rules)

    def restart(store: object, spec: SeriesSpec, *args: object) -> dt.date:
        return cal.period_start(back, spec.grain, rules)  # type: ignore[arg-type]

    monkeypatch.setattr(refresh, "_restart", restart)
    groups: dict[Any, list[SeriesSpec]] = {}
    for spec in specs:
        groups.setdefault((spec.grain, "", frozenset()), []).append(spec)
    prepared = refresh._prepare(project, None, groups, False, None, None, {s: "" for s in specs}, [])  # type: ignore[arg-type]
    return {(spec.metric, spec.grain.value): start for key, (ready, start) in prepared.items() for spec in ready}


def test_the_days_go_back_to_the_quarter_and_the_month_with_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # lookback day 2024-03-07: day 03-07, month 03-01, quarter 01-01 -> days and months from 01-01
    specs = [SeriesSpec("sales", g, "") for g in (G.day, G.month, G.quarter)]
    starts = _starts(monkeypatch, specs, dt.date(2024, 3, 7))
    jan1 = dt.date(2024, 1, 1)
    assert starts == {("sales", "day"): jan1, ("sales", "month"): jan1, ("sales", "quarter"): jan1}


def test_a_week_does_not_pull_the_quarter_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # lookback day Wednesday 2025-04-02: week 03-31 (Monday), month and quarter 04-01; the days go back to
    # 03-31; the quarter's first period on or after 03-31 is 04-01 (it was 2025-01-01)
    specs = [SeriesSpec("sales", g, "") for g in (G.day, G.week, G.month, G.quarter)]
    starts = _starts(monkeypatch, specs, dt.date(2025, 4, 2))
    assert starts == {
        ("sales", "day"): dt.date(2025, 3, 31),
        ("sales", "week"): dt.date(2025, 3, 31),
        ("sales", "month"): dt.date(2025, 4, 1),
        ("sales", "quarter"): dt.date(2025, 4, 1),
    }


def test_a_week_across_new_year_does_not_pull_the_year_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # lookback day Friday 2026-01-02: week 2025-12-29, year 2026-01-01 (it was 2025-01-01: a year re-read)
    specs = [SeriesSpec("sales", g, "") for g in (G.day, G.week, G.year)]
    starts = _starts(monkeypatch, specs, dt.date(2026, 1, 2))
    assert starts == {
        ("sales", "day"): dt.date(2025, 12, 29),
        ("sales", "week"): dt.date(2025, 12, 29),
        ("sales", "year"): dt.date(2026, 1, 1),
    }


def test_a_fiscal_quarter_takes_the_days_back_but_not_the_calendar_quarter(monkeypatch: pytest.MonkeyPatch) -> None:
    # the fiscal year starts in February: lookback day 2025-04-15 -> fiscal quarter 02-01, quarter 04-01;
    # the days go back to 02-01, the calendar quarter stays at 04-01 (January-March straddles 02-01)
    specs = [SeriesSpec("sales", g, "") for g in (G.day, G.quarter, G.fiscal_quarter)]
    starts = _starts(monkeypatch, specs, dt.date(2025, 4, 15), fiscal_year_start=2)
    assert starts == {
        ("sales", "day"): dt.date(2025, 2, 1),
        ("sales", "quarter"): dt.date(2025, 4, 1),
        ("sales", "fiscal_quarter"): dt.date(2025, 2, 1),
    }


def test_a_query_group_shared_with_another_metric_takes_its_days_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # 'a' has a quarter and a year, 'b' days and a quarter, lookback day 2025-04-02: the quarter group of
    # both reads from a's 2025-01-01 (the year's start), so b's days and quarter go back there too
    specs = [SeriesSpec("a", G.quarter, ""), SeriesSpec("a", G.year, ""), SeriesSpec("b", G.day, "")]
    specs.append(SeriesSpec("b", G.quarter, ""))
    starts = _starts(monkeypatch, specs, dt.date(2025, 4, 2))
    jan1 = dt.date(2025, 1, 1)
    assert starts == {("a", "quarter"): jan1, ("a", "year"): jan1, ("b", "day"): jan1, ("b", "quarter"): jan1}


def test_a_full_recompute_of_one_grain_recomputes_every_grain(monkeypatch: pytest.MonkeyPatch) -> None:
    specs = [SeriesSpec("sales", g, "") for g in (G.day, G.quarter)]

    def restart(store: object, spec: SeriesSpec, *args: object) -> dt.date | None:
        return None if spec.grain == G.quarter else dt.date(2024, 3, 7)  # a new quarterly series

    monkeypatch.setattr(refresh, "_restart", restart)
    groups: dict[Any, list[SeriesSpec]] = {(s.grain, "", frozenset()): [s] for s in specs}
    project: Any = SimpleNamespace(calendar=SimpleNamespace(week_start="monday", fiscal_year_start=1))
    prepared = refresh._prepare(project, None, groups, False, None, None, {s: "" for s in specs}, [])  # type: ignore[arg-type]
    assert [start for _, start in prepared.values()] == [None, None]

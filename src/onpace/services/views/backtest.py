"""The backtest of the forecasts (``onpace backtest``) and a KPI's own track record (the KPI page)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from onpace.services.views.base import View


class BacktestScore(View):
    """How the forecasts of a set of replays scored; null where no replay counts."""

    replays: int = Field(description="replays: a KPI judged as of a day inside a past period")
    known: int = Field(description="replays whose final value was already known (nothing more due): not scored")
    intervals: int = Field(description="replays with a forecast interval")
    covered: int = Field(description="replays whose final actual fell inside the interval")
    coverage: float | None = Field(description="covered / intervals: an 80% interval should hold about 0.8")
    judged: int = Field(description="replays with a target, a probability and a pace (the Brier scores' count)")
    brier: float | None = Field(description="mean of (probability - met)^2; lower is better")
    baseline_brier: float | None = Field(
        description="the same for the pace-only rule: 1 on track to date, 0.5 at risk, 0 off track"
    )
    point_error: float | None = Field(description="mean of |forecast - final| / |final| (finals of 0 left out)")


class KpiBacktest(View):
    """One KPI instance's replays and their score."""

    kpi: str
    segment: str | None
    label: str
    kind: str = Field(description="flow, count_distinct, level or ratio: the forecast's method")
    periods: int = Field(description="past periods replayed")
    score: BacktestScore


class BacktestReport(View):
    """``onpace backtest``: every recurring KPI's past periods replayed at several points, and the scores."""

    points: list[float] = Field(description="the shares of each period elapsed at the replays")
    interval: float = Field(description="the forecast interval's level (0.8: the 10th to 90th percentile)")
    kpis: list[KpiBacktest]
    overall: BacktestScore
    seconds: float


class TrackRecord(View):
    """A KPI's own track record: how its forecasts did in its past periods (the KPI page)."""

    kpi: str
    segment: str | None
    periods: int = Field(description="past periods replayed")
    score: BacktestScore
    computed_at: dt.datetime | None = None
    text: str = Field(description='in words: "the forecast\'s 80% interval held 17 of 20 past forecasts"')

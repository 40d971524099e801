"""Refresh runs and the freshness of the stored series."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from onpace import calendar as cal
from onpace.services.views.base import IsoDateTime, View
from onpace.services.views.notes import FindingView


class RunView(View):
    """A refresh run: when, how, by whom, and what failed."""

    id: int
    mode: str = Field(description="incremental or full")
    status: str = Field(description="running, succeeded, partial or failed")
    started_at: IsoDateTime
    finished_at: IsoDateTime | None
    requested_by: str
    metrics_total: int
    metrics_failed: int
    errors: dict[str, str] = Field(description="what failed (a metric, a series, a KPI) and why")
    scope: list[str] | None = Field(description="the metrics of a run limited to some; none: all")


class RunStarted(View):
    run_id: int
    status: str


class SeriesFreshness(View):
    """How recent one stored series is."""

    metric: str
    grain: str
    segment: str
    data_until: dt.date | None = Field(description="the first day of the last period with a value")
    updated_at: IsoDateTime
    last_day: dt.date | None = Field(
        default=None,
        description="the last day with data, when known: a daily series' last day, or the last day of the daily "
        "series of the same metric and segment inside the last period (none: only the period is known)",
    )


def with_last_days(series: list[SeriesFreshness]) -> list[SeriesFreshness]:
    """``series`` with ``last_day`` set where the stored series tell it (see :class:`SeriesFreshness`)."""
    daily = {(s.metric, s.segment): s.data_until for s in series if s.grain == "day"}
    out = []
    for s in series:
        day = daily.get((s.metric, s.segment))
        if s.grain == "day":
            last = s.data_until
        elif s.data_until is not None and day is not None and day >= s.data_until:
            last = min(day, cal.period_end(s.data_until, cal.Grain(s.grain)))
        else:
            last = None
        out.append(s.model_copy(update={"last_day": last}))
    return out


class DataHealth(View):
    """The health page: the linter's findings, each series' freshness (stalest first), recent runs."""

    findings: list[FindingView]
    series: list[SeriesFreshness]
    runs: list[RunView]

    @model_validator(mode="after")
    def _last_days(self) -> DataHealth:
        self.series = with_last_days(self.series)
        return self

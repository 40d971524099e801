"""Refresh runs and the freshness of the stored series."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, model_validator

from onpace import calendar as cal
from onpace.services.views.base import IsoDateTime, View
from onpace.services.views.delivery import DeliveryHealth
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


class JobRunView(View):
    """One tick of a scheduled job: who ran it, how it went, what it wrote."""

    id: int
    job: str = Field(description="refresh:<source>, deliver, heartbeat, ...")
    scheduled_at: IsoDateTime = Field(description="the tick: when the job was due")
    status: str = Field(description="running, succeeded, failed or interrupted (its process stopped)")
    started_at: IsoDateTime
    finished_at: IsoDateTime | None
    host: str
    pid: int
    attempt: int = Field(description="1, or more when the run was taken over from a process that died")
    error: str | None
    rows: int | None = Field(description="values written")
    run_id: int | None = Field(description="the refresh run, for a refresh job")
    details: dict[str, Any] | None = Field(default=None, description="what the job reports: metrics, alerts, delivery")


class ScheduledJobView(View):
    """A scheduled job of the project, its timing and its next tick."""

    job: str
    timing: str = Field(description="cron '0 6 * * *' (Europe/Madrid), or every 30 s")
    origin: str = Field(description="where its timing is defined in onpace.yml")
    next_at: IsoDateTime | None = Field(description="the next tick")
    last: JobRunView | None = Field(default=None, description="the run of its latest tick")


class RunsList(View):
    """``onpace runs list``: the scheduled jobs' runs and the refresh runs, newest first."""

    jobs: list[JobRunView]
    refresh_runs: list[RunView]


class DataHealth(View):
    """The health page: the linter's findings, each series' freshness (stalest first), recent runs,
    the scheduled jobs (next ticks) and their recent runs, and the delivery of notifications."""

    findings: list[FindingView]
    series: list[SeriesFreshness]
    runs: list[RunView]
    scheduled: list[ScheduledJobView] = Field(default_factory=list)
    scheduled_error: str | None = Field(default=None, description="why the scheduled jobs cannot be listed")
    jobs: list[JobRunView] = Field(default_factory=list)
    delivery: DeliveryHealth | None = Field(
        default=None, description="the delivery's health (queued, failing, dead messages)"
    )

    @model_validator(mode="after")
    def _last_days(self) -> DataHealth:
        self.series = with_last_days(self.series)
        return self

"""Refresh runs and the freshness of the stored series."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

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
    data_until: dt.date | None
    updated_at: IsoDateTime


class DataHealth(View):
    """The health page: the linter's findings, each series' freshness (stalest first), recent runs."""

    findings: list[FindingView]
    series: list[SeriesFreshness]
    runs: list[RunView]

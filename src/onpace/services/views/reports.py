"""Reports as views: a report's definition in words with its last runs, and one run."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from onpace.services.views.base import IsoDateTime, View


class ReportRunView(View):
    """One rendering of a report: its as-of date, how it went and how many messages it queued."""

    id: int
    report: str
    key: str = Field(description="scheduled:<tick> for the scheduler's, manual:<id> for a send by hand")
    as_of: dt.date | None = Field(description="the date the report shows the KPIs as of")
    requested_by: str
    status: str = Field(description="running, succeeded or failed")
    messages: int = Field(description="the messages it queued (one per recipient)")
    pages: int | None = Field(description="the PDF's pages (none without a PDF)")
    started_at: IsoDateTime
    finished_at: IsoDateTime | None
    error: str | None = Field(description="why it failed, or the recipients it could not reach")


class ReportView(View):
    """A report as its definition says, in words, with its most recent runs."""

    name: str
    title: str
    description: str | None
    audience: str = Field(description="which KPIs it covers, in words: 'objective grow', 'every KPI'")
    kpis: list[str] = Field(description="the KPIs it covers, in its order")
    schedule: str | None = Field(description="when it is sent, in words (none: only on demand)")
    cron: str | None
    timezone: str | None
    next_at: IsoDateTime | None = Field(description="its next scheduled send (UTC)")
    recipients: list[str]
    formats: list[str] = Field(description="the email's attachments: pdf, csv")
    paper: str
    last_run: ReportRunView | None
    runs: list[ReportRunView] = Field(description="its most recent runs, newest first")

"""Refresh runs, the scheduled jobs and their runs, and the freshness of the stored series, as views."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from onpace.errors import OnpaceError
from onpace.services.views.runs import DataHealth, JobRunView, RunsList, RunView, ScheduledJobView, SeriesFreshness
from onpace.store import reads
from onpace.store.db import Store

if TYPE_CHECKING:
    from onpace.catalog.project import Project

HEALTH_RUNS = 20
HEALTH_JOB_RUNS = 30


def list_runs(store: Store, limit: int = 50) -> list[RunView]:
    """Refresh runs, newest first."""
    with store.reader() as r:
        return [RunView.model_validate(run) for run in reads.list_runs(r, limit=limit)]


def get_run(store: Store, run_id: int) -> RunView:
    from onpace.store import runs as store_runs

    with store.session(readonly=True) as s:
        return RunView.model_validate(store_runs.get_run(s, run_id))


def freshness(store: Store) -> list[SeriesFreshness]:
    """Every stored series and the last day it has data for, stalest first."""
    from onpace.store import observations as obs

    with store.session(readonly=True) as s:
        found = [SeriesFreshness.model_validate(x) for x in obs.list_series(s)]
    found.sort(key=lambda r: (r.data_until or dt.date.min, r.metric))
    return found


def list_job_runs(store: Store, limit: int = 50, job: str | None = None) -> list[JobRunView]:
    """Runs of the scheduled jobs (one per tick), newest tick first."""
    with store.reader() as r:
        return [JobRunView.model_validate(run) for run in reads.list_job_runs(r, limit=limit, job=job)]


def runs_list(store: Store, limit: int = 50) -> RunsList:
    """``onpace runs list``: the job history and the refresh runs."""
    return RunsList(jobs=list_job_runs(store, limit), refresh_runs=list_runs(store, limit))


def scheduled_jobs(project: Project, store: Store, now: dt.datetime | None = None) -> list[ScheduledJobView]:
    """The project's scheduled jobs, their next tick and their latest run (UserError: a job of unknown kind)."""
    from onpace.services.scheduler import jobs_of
    from onpace.store import schedule as store_schedule

    now = now or dt.datetime.now(dt.UTC)
    jobs = jobs_of(project)
    with store.session(readonly=True) as s:
        latest = store_schedule.last_ticks(s, [job.name for job in jobs])
        return [
            ScheduledJobView(
                job=job.name,
                timing=job.trigger.describe(),
                origin=job.origin,
                next_at=job.trigger.next_after(now),
                last=JobRunView.model_validate(latest[job.name]) if job.name in latest else None,
            )
            for job in jobs
        ]


def data_health(project: Project, store: Store) -> DataHealth:
    """The health page: the linter's findings, the freshness of each series, the recent runs, the
    scheduled jobs and their runs, and the delivery of notifications."""
    from onpace.services import feedback  # the linter, and the channels (httpx): only for this page
    from onpace.services.delivery import delivery_health

    scheduled: list[ScheduledJobView] = []
    problem = None
    try:
        scheduled = scheduled_jobs(project, store)
    except OnpaceError as exc:
        problem = str(exc)
    return DataHealth(
        findings=feedback.lint(project, store),
        series=freshness(store),
        runs=list_runs(store, HEALTH_RUNS),
        scheduled=scheduled,
        scheduled_error=problem,
        jobs=list_job_runs(store, HEALTH_JOB_RUNS),
        delivery=delivery_health(store),
    )

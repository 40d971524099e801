"""Refresh runs (list, one, start one), the scheduled jobs and their runs, the linter's findings and the
reviews that are due."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from onpace.api.deps import ProjectDep, StoreDep, UserDep, WorkspaceDep, allowed, errors
from onpace.errors import QueryError, did_you_mean
from onpace.services import feedback, runs
from onpace.services.views.notes import FindingView, ReviewsView
from onpace.services.views.runs import JobRunView, RunStarted, RunView, ScheduledJobView

IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
router = APIRouter(tags=["runs"])


@router.get("/runs")
def list_runs(store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[RunView]:
    """Refresh runs, newest first."""
    return runs.list_runs(store, limit)


@router.get("/jobs", tags=["runs"])
def list_job_runs(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    job: Annotated[str | None, Query(max_length=200, description="only this job, e.g. refresh:warehouse")] = None,
) -> list[JobRunView]:
    """The scheduled jobs' runs (one per tick: status, error, values written, refresh run), newest first."""
    return runs.list_job_runs(store, limit, job)


@router.get("/jobs/scheduled", tags=["runs"])
def scheduled_jobs(project: ProjectDep, store: StoreDep) -> list[ScheduledJobView]:
    """The project's scheduled jobs: their timing, next tick and latest run."""
    return runs.scheduled_jobs(project, store)


@router.get("/runs/{run_id}")
def get_run(run_id: IdPath, store: StoreDep) -> RunView:
    return runs.get_run(store, run_id)


class StartRefresh(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    full: bool = False
    metrics: list[str] | None = Field(default=None, max_length=1000)


@router.post(
    "/runs",
    status_code=202,
    responses=errors({409: "a refresh is running"}),
    dependencies=[allowed("refresh")],
)
def start_refresh(body: StartRefresh, ws: WorkspaceDep, user: UserDep) -> RunStarted:
    """Start a refresh in the background; poll GET /api/runs/{id} for its end."""
    user.require("refresh")
    project = ws.project()
    for name in body.metrics or []:
        if name not in project.metrics:
            raise QueryError(f"unknown metric '{name}'", suggestion=did_you_mean(name, project.metrics))
    run_id = ws.start_refresh(full=body.full, metrics=body.metrics or None, requested_by=user.name)
    return RunStarted(run_id=run_id, status="running")


@router.get("/lint", tags=["health"])
def lint(project: ProjectDep, store: StoreDep) -> list[FindingView]:
    """The governance rules' findings (docs/cli.md, onpace lint)."""
    return feedback.lint(project, store)


@router.get("/reviews", tags=["kpis"])
def reviews(project: ProjectDep, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> ReviewsView:
    """Reviews due (never reviewed, or older than the KPI's review cadence) and past reviews, newest first."""
    return feedback.reviews_due_and_past(project, store, limit)

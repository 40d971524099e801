"""Refresh runs (list, one, start one), the linter's findings and the reviews that are due."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from onpace.api.deps import ProjectDep, StoreDep, UserDep, WorkspaceDep, allowed
from onpace.errors import QueryError, did_you_mean
from onpace.services import lint as lint_service
from onpace.services import reviews as review_service
from onpace.store import runs

IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
router = APIRouter(tags=["runs"])


def run_dict(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "mode": run.mode,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "requested_by": run.requested_by,
        "metrics_total": run.metrics_total,
        "metrics_failed": run.metrics_failed,
        "errors": run.errors,
        "scope": run.scope,
    }


@router.get("/runs")
def list_runs(store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[dict[str, Any]]:
    """Refresh runs, newest first."""
    with store.session(readonly=True) as s:
        return [run_dict(r) for r in runs.list_runs(s, limit=limit)]


@router.get("/runs/{run_id}")
def get_run(run_id: IdPath, store: StoreDep) -> dict[str, Any]:
    with store.session(readonly=True) as s:
        return run_dict(runs.get_run(s, run_id))


class StartRefresh(BaseModel):
    full: bool = False
    metrics: list[str] | None = Field(default=None, max_length=1000)


@router.post(
    "/runs",
    status_code=202,
    responses={409: {"description": "a refresh is running"}},
    dependencies=[allowed("refresh")],
)
def start_refresh(body: StartRefresh, ws: WorkspaceDep, user: UserDep) -> dict[str, Any]:
    """Start a refresh in the background; poll GET /api/runs/{id} for its end."""
    user.require("refresh")
    project = ws.project()
    for name in body.metrics or []:
        if name not in project.metrics:
            raise QueryError(f"unknown metric '{name}'", suggestion=did_you_mean(name, project.metrics))
    run_id = ws.start_refresh(full=body.full, metrics=body.metrics or None, requested_by=user.name)
    return {"run_id": run_id, "status": "running"}


@router.get("/lint", tags=["health"])
def lint(project: ProjectDep, store: StoreDep) -> list[dict[str, Any]]:
    """The governance rules' findings (docs/cli.md, onpace lint)."""
    return [f.to_dict() for f in lint_service.lint(project, store)]


@router.get("/reviews", tags=["kpis"])
def reviews(project: ProjectDep, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Reviews due (never reviewed, or older than the KPI's review cadence) and past reviews, newest first."""
    due = [f.to_dict() for f in review_service.overdue(project, store, dt.date.today())]
    past = [review_service.review_dict(r) for r in review_service.history(project, store, limit=limit)]
    return {"due": due, "past": past}

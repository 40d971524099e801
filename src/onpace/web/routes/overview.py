"""The scorecard (home), TV mode, reviews due and past, and data health."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from onpace.catalog.project import Project
from onpace.services import lint as lint_service
from onpace.services import reviews as review_service
from onpace.services import scorecard
from onpace.store import evaluations, runs
from onpace.store import observations as obs
from onpace.web.deps import UserDep, WorkspaceDep
from onpace.web.render import page, render_fragment

router = APIRouter()
FilterQ = Annotated[str | None, Query(max_length=128)]


@dataclass(frozen=True)
class Board:
    """What the scorecard shows, for one set of filters: every KPI row, and the (filtered) tree as HTML."""

    everything: list[dict[str, Any]]
    html: Markup


def _board(
    project: Project, ws: Any, newest: int, department: str | None, owner: str | None, status: str | None
) -> Board:
    """The scorecard for these filters; computed and rendered again only after something was evaluated.

    The board does not depend on who asks (the page around it does), so every user shares it.
    """

    def compute() -> Board:
        nodes, everything = _compute_board(project, ws, department, owner, status)
        html = Markup(render_fragment("_board.html", nodes=nodes, total=len(everything)))
        return Board(everything, html)

    return ws.cached(("board", newest, department, owner, status), compute)


def _newest(ws: Any) -> tuple[int, Any]:
    """The newest evaluation's id and the last refresh run, in one read of the store."""
    with ws.store.session(readonly=True) as s:
        newest = evaluations.newest_id(s)
        last = runs.last_run(s)
        if last is not None:
            s.expunge(last)
        return newest, last


def _compute_board(
    project: Project, ws: Any, department: str | None, owner: str | None, status: str | None
) -> tuple[list[scorecard.ObjectiveNode], list[dict[str, Any]]]:
    rows = scorecard.kpi_rows(project, ws.store)
    for row in rows:
        metric = project.metrics.get(row["metric"])
        row["department"] = getattr(metric, "department", None)
        row["format"] = getattr(metric, "format", None)
    everything = list(rows)
    rows = [
        r
        for r in rows
        if (not department or r["department"] == department)
        and (not owner or r["owner"] == owner)
        and (not status or r["status"] == status)
    ]
    scorecard.recent_periods(project, ws.store, rows)
    nodes = scorecard.tree(project, rows)
    if department or owner or status:
        nodes = _prune(nodes)
    return nodes, everything


def _prune(nodes: list[scorecard.ObjectiveNode]) -> list[scorecard.ObjectiveNode]:
    kept = []
    for node in nodes:
        node.children = _prune(node.children)
        if node.rows or node.children:
            kept.append(node)
    return kept


@router.get("/")
def home(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    department: FilterQ = None,
    owner: FilterQ = None,
    status: FilterQ = None,
) -> Response:
    project = ws.project()
    newest, last = _newest(ws)
    board = _board(project, ws, newest, department, owner, status)
    everything = board.everything
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "board":
        return HTMLResponse(board.html)
    counts: dict[str, int] = {}
    for row in everything:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    context: dict[str, Any] = {
        "board": board.html,
        "counts": counts,
        "total": len(everything),
        "departments": sorted({r["department"] for r in everything if r["department"]}),
        "owners": sorted({r["owner"] for r in everything if r["owner"]}),
        "filters": {"department": department, "owner": owner, "status": status},
        "last_run": last,
        "project": project,
    }
    return page(request, "scorecard.html", **context)


@router.get("/tv")
def tv(
    request: Request, ws: WorkspaceDep, user: UserDep, refresh: Annotated[int, Query(ge=10, le=3600)] = 60
) -> Response:
    project = ws.project()
    board = _board(project, ws, _newest(ws)[0], None, None, None)
    return page(request, "tv.html", board=board.html, total=len(board.everything), refresh=refresh, project=project)


@router.get("/reviews")
def reviews(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    project = ws.project()
    due = review_service.overdue(project, ws.store, dt.date.today())
    past = review_service.history(project, ws.store, limit=200)
    return page(request, "reviews.html", due=due, past=past, project=project)


@router.get("/health")
def health(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    project = ws.project()
    findings = lint_service.lint(project, ws.store)
    with ws.store.session(readonly=True) as s:
        series = obs.list_series(s)
        recent = runs.list_runs(s, limit=20)
        fresh = [
            {
                "metric": x.metric,
                "grain": x.grain,
                "segment": x.segment,
                "data_until": x.data_until,
                "updated_at": x.updated_at,
            }
            for x in series
        ]
    fresh.sort(key=lambda r: (r["data_until"] or dt.date.min, r["metric"]))
    return page(request, "health.html", findings=findings, series=fresh, runs=recent, project=project)

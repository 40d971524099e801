"""The scorecard (home), TV mode, reviews due and past, and data health."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.services import lint as lint_service
from onpace.services import reviews as review_service
from onpace.services import scorecard
from onpace.services.workspace import Workspace
from onpace.store import observations as obs
from onpace.store import runs
from onpace.web.deps import UserDep, WorkspaceDep
from onpace.web.render import page, render_fragment

router = APIRouter()
FilterQ = Annotated[str | None, Query(max_length=m.MAX_NAME_TEXT)]  # as long as a definition may hold


@dataclass(frozen=True)
class Board:
    """What the scorecard shows, for one set of filters: every KPI row, and the (filtered) tree as HTML."""

    everything: list[dict[str, Any]]
    html: Markup


def _board_key(newest: int, department: str | None, owner: str | None, status: str | None) -> tuple[object, ...]:
    return ("board", newest, department, owner, status)


def _board(
    project: Project, ws: Workspace, newest: int, department: str | None, owner: str | None, status: str | None
) -> Board:
    """The scorecard for these filters; computed and rendered again only after something was evaluated.

    The board does not depend on who asks (the page around it does), so every user shares it.
    """

    def compute() -> Board:
        nodes, everything = _compute_board(project, ws, department, owner, status)
        html = Markup(render_fragment("_board.html", nodes=nodes, total=len(everything)))
        return Board(everything, html)

    return ws.cached(_board_key(newest, department, owner, status), compute)


async def _current_board(
    request: Request, ws: Workspace, department: str | None, owner: str | None, status: str | None
) -> tuple[Project, Board, Any]:
    """The project, the board and the last run, without leaving the event loop when nothing changed.

    The login check (server.AuthGate) read the newest evaluation and the last run for this page in
    the same worker thread as the session; the project is checked by its files' times and the board
    comes from the cache. Only what is not at hand (a changed project, a new evaluation) runs in a
    thread of its own.
    """
    fresh = ws.fresh_project()
    project: Project = fresh if fresh is not None else await run_in_threadpool(ws.project)
    found = getattr(request.state, "scorecard_newest", None)
    newest, last = found if found is not None else await run_in_threadpool(scorecard.newest, ws.store)
    cached = ws.peek(project, _board_key(newest, department, owner, status))
    if isinstance(cached, Board):
        return project, cached, last
    board = await run_in_threadpool(_board, project, ws, newest, department, owner, status)
    return project, board, last


def _compute_board(
    project: Project, ws: Workspace, department: str | None, owner: str | None, status: str | None
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
async def home(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    department: FilterQ = None,
    owner: FilterQ = None,
    status: FilterQ = None,
) -> Response:
    project, board, last = await _current_board(request, ws, department, owner, status)
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
async def tv(
    request: Request, ws: WorkspaceDep, user: UserDep, refresh: Annotated[int, Query(ge=10, le=3600)] = 60
) -> Response:
    project, board, _ = await _current_board(request, ws, None, None, None)
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

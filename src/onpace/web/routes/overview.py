"""The scorecard (home), TV mode, reviews due and past, and data health."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from onpace.catalog.project import Project
from onpace.services import board as board_service
from onpace.services import feedback, runs
from onpace.services.board import BoardRow
from onpace.services.filters import ScorecardFilter
from onpace.services.views.runs import RunView
from onpace.services.workspace import Workspace
from onpace.web.deps import UserDep, WorkspaceDep
from onpace.web.render import page, render_fragment

router = APIRouter()
PAST_REVIEWS = 200
NO_FILTER = ScorecardFilter()


@dataclass(frozen=True)
class Board:
    """What the scorecard shows, for one set of filters: every KPI row, and the (filtered) tree as HTML."""

    everything: list[BoardRow]
    html: Markup


def _board_key(newest: int, filters: ScorecardFilter) -> tuple[object, ...]:
    return ("board", newest, *filters.model_dump().values())


def _board(project: Project, ws: Workspace, newest: int, filters: ScorecardFilter) -> Board:
    """The scorecard for these filters; computed and rendered again only after something was evaluated.

    The board does not depend on who asks (the page around it does), so every user shares it.
    """

    def compute() -> Board:
        found = board_service.board(project, ws.store, filters)
        html = Markup(render_fragment("_board.html", nodes=found.nodes, total=len(found.everything)))
        return Board(found.everything, html)

    return ws.cached(_board_key(newest, filters), compute)


async def _current_board(
    request: Request, ws: Workspace, filters: ScorecardFilter
) -> tuple[Project, Board, RunView | None]:
    """The project, the board and the last run, without leaving the event loop when nothing changed.

    The login check (server.AuthGate) read the newest evaluation and the last run for this page in
    the same worker thread as the session; the project is checked by its files' times and the board
    comes from the cache. Only what is not at hand (a changed project, a new evaluation) runs in a
    thread of its own.
    """
    fresh = ws.fresh_project()
    project: Project = fresh if fresh is not None else await run_in_threadpool(ws.project)
    found = getattr(request.state, "scorecard_newest", None)
    newest, last = found if found is not None else await run_in_threadpool(board_service.newest, ws.store)
    cached = ws.peek(project, _board_key(newest, filters))
    if isinstance(cached, Board):
        return project, cached, last
    board = await run_in_threadpool(_board, project, ws, newest, filters)
    return project, board, last


@router.get("/")
async def home(
    request: Request, ws: WorkspaceDep, user: UserDep, filters: Annotated[ScorecardFilter, Query()]
) -> Response:
    project, board, last = await _current_board(request, ws, filters)
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "board":
        return HTMLResponse(board.html)
    summary = board_service.page(project, board.everything, filters, last)
    return page(request, "scorecard.html", board=board.html, view=summary)


@router.get("/tv")
async def tv(
    request: Request, ws: WorkspaceDep, user: UserDep, refresh: Annotated[int, Query(ge=10, le=3600)] = 60
) -> Response:
    project, board, _ = await _current_board(request, ws, NO_FILTER)
    return page(
        request,
        "tv.html",
        board=board.html,
        total=len(board.everything),
        refresh=refresh,
        project_name=project.config.name,
    )


@router.get("/reviews")
def reviews(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    return page(request, "reviews.html", view=feedback.reviews_due_and_past(ws.project(), ws.store, PAST_REVIEWS))


@router.get("/health")
def health(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    return page(request, "health.html", view=runs.data_health(ws.project(), ws.store))

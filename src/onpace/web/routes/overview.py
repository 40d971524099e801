"""The scorecard (home), TV mode, reviews due and past, and data health."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from onpace.catalog.project import Project
from onpace.services import alerts, feedback, review_schedule, runs
from onpace.services import board as board_service
from onpace.services.board import BoardRow
from onpace.services.filters import ScorecardFilter
from onpace.services.views.names import Names
from onpace.services.views.runs import RunView
from onpace.services.workspace import Workspace
from onpace.web.deps import AsOfDep, UserDep, WorkspaceDep
from onpace.web.render import page, render_fragment

router = APIRouter()
PAST_REVIEWS = 200
NO_FILTER = ScorecardFilter()


@dataclass(frozen=True)
class Board:
    """What the scorecard shows, for one set of filters and as-of date: every KPI row, and the tree as HTML."""

    everything: list[BoardRow]
    html: Markup


Firing = tuple[tuple[str, int], ...]  # the alerts firing per KPI, as a cache key


def _board_key(
    template: str, newest: int, filters: ScorecardFilter, as_of: dt.date | None, firing: Firing = ()
) -> tuple[object, ...]:
    return ("board", template, newest, as_of, firing, *filters.model_dump().values())


def _board(
    project: Project,
    ws: Workspace,
    newest: int,
    filters: ScorecardFilter,
    as_of: dt.date | None,
    template: str,
    firing: Firing = (),
) -> Board:
    """The scorecard for these filters; computed again only after something was evaluated, and
    rendered again also when the alerts firing changed (their badges on the cards).

    The board does not depend on who asks (the page around it does), so every user shares it.
    """

    def compute() -> Board:
        found = ws.cached(
            ("board-rows", newest, as_of, *filters.model_dump().values()),
            lambda: board_service.board(project, ws.store, filters, as_of),
        )
        names = Names.of(project)
        html = Markup(
            render_fragment(
                template,
                nodes=found.nodes,
                total=len(found.everything),
                names=names,
                as_of=as_of,
                latest=board_service.data_until(found.everything),
                firing=dict(firing),
            )
        )
        return Board(found.everything, html)

    return ws.cached(_board_key(template, newest, filters, as_of, firing), compute)


async def _firing(project: Project, ws: Workspace, as_of: dt.date | None) -> Firing:
    """The alerts firing per KPI now (one read of the store; none without alert rules, or as of a past day)."""
    if not project.alerts or as_of is not None:
        return ()
    counts = await run_in_threadpool(alerts.firing_count_by_kpi, project, ws.store)
    return tuple(sorted((kpi, n) for kpi, n in counts.items() if n))


async def _current_board(
    request: Request,
    ws: Workspace,
    filters: ScorecardFilter,
    as_of: dt.date | None = None,
    template: str = "_board.html",
) -> tuple[Project, Board, RunView | None]:
    """The project, the board and the last run, without leaving the event loop when nothing changed.

    The login check (server.AuthGate) read the newest evaluation and the last run for this page in
    the same worker thread as the session; the project is checked by its files' times and the board
    comes from the cache. Only what is not at hand (a changed project, a new evaluation, another
    as-of date) runs in a thread of its own.
    """
    fresh = ws.fresh_project()
    project: Project = fresh if fresh is not None else await run_in_threadpool(ws.project)
    found = getattr(request.state, "scorecard_newest", None)
    newest, last = found if found is not None else await run_in_threadpool(board_service.newest, ws.store)
    firing = await _firing(project, ws, as_of)
    cached = ws.peek(project, _board_key(template, newest, filters, as_of, firing))
    if isinstance(cached, Board):
        return project, cached, last
    board = await run_in_threadpool(_board, project, ws, newest, filters, as_of, template, firing)
    return project, board, last


@router.get("/")
async def home(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    filters: Annotated[ScorecardFilter, Query()],
    as_of: AsOfDep,
) -> Response:
    project, board, last = await _current_board(request, ws, filters, as_of)
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "board":
        return HTMLResponse(board.html)
    summary = board_service.page(project, board.everything, filters, last, as_of)
    return page(request, "scorecard.html", board=board.html, view=summary)


@router.get("/tv")
async def tv(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    refresh: Annotated[int, Query(ge=10, le=3600)] = 60,
    seconds: Annotated[int, Query(ge=3, le=600, description="how long each screen is shown")] = 15,
) -> Response:
    project, board, last = await _current_board(request, ws, NO_FILTER, template="_tv_board.html")
    summary = board_service.page(project, board.everything, NO_FILTER, last)
    return page(request, "tv.html", board=board.html, view=summary, refresh=refresh, seconds=seconds)


@router.get("/reviews")
def reviews(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    project = ws.project()
    return page(
        request,
        "reviews.html",
        schedule=review_schedule.schedule(project, ws.store),
        past=feedback.reviews(project, ws.store, limit=PAST_REVIEWS),
        names=Names.of(project),
    )


@router.get("/health")
def health(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    project = ws.project()
    view = runs.data_health(project, ws.store)
    return page(request, "health.html", view=view, names=Names.of(project), calendar=project.calendar)

"""The metric catalog (search and filters) and the metric page (grain, range, breakdown, definition, promote)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from onpace.catalog import models as m
from onpace.errors import UserError
from onpace.services import explore, feedback, lifecycle, notes
from onpace.services import metric_page as metric_pages
from onpace.services.filters import CatalogFilter
from onpace.services.params import Day
from onpace.services.views.names import Names
from onpace.web.deps import UserDep, WorkspaceDep, allowed
from onpace.web.render import page, redirect

router = APIRouter(prefix="/metrics")


@router.get("")
def catalog(request: Request, ws: WorkspaceDep, user: UserDep, filters: Annotated[CatalogFilter, Query()]) -> Response:
    view = explore.catalog_page(ws.project(), filters)
    template = "_catalog_rows.html" if request.headers.get("hx-target") == "catalog-rows" else "catalog.html"
    return page(request, template, view=view, filters=filters, names=Names.of(ws.project()))


@router.get("/{name}")
def metric_page(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    grain: m.Grain | None = None,
    start: Day | None = None,
    end: Day | None = None,
    by: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    view = metric_pages.metric_page(
        ws, name, grain=grain, start=start, end=end, by=by, with_sql=user.can("read_generated_sql")
    )
    return page(request, "metric.html", view=view, names=Names.of(ws.project()))


@router.post("/{name}/promote", dependencies=[allowed("promote")])
def promote(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    objective: Annotated[str, Form(max_length=128)],
    owner: Annotated[str, Form(max_length=128)],
    timeframe: Annotated[str, Form(max_length=32)],
    target_kind: Annotated[str, Form(pattern="^(at_least|at_most)$")],
    target_value: Annotated[float, Form()],
    review_cadence: Annotated[str, Form(max_length=16)] = "monthly",
    kpi_name: Annotated[str, Form(max_length=128)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    user.require("promote")
    if not reason.strip():
        raise UserError("say why the metric becomes a KPI (reason)")
    definition = {
        "name": kpi_name.strip() or None,
        "objective": objective,
        "owner": owner,
        "timeframe": timeframe,
        "review_cadence": review_cadence,
        "target": {target_kind: target_value},
    }
    change = lifecycle.promote(ws.project(), ws.store, name, definition, actor=user.name, reason=reason)
    return redirect(request, f"/kpis/{change.name}")


@router.post("/{name}/comments", dependencies=[allowed("comment")])
def add_comment(
    request: Request, name: str, ws: WorkspaceDep, user: UserDep, body: Annotated[str, Form(max_length=10_000)]
) -> Response:
    user.require("comment")
    notes.add_comment(ws.project(), ws.store, "metric", name, author=user.name, body=body)
    return page(request, "_comments.html", comments=feedback.list_comments(ws.store, "metric", name))

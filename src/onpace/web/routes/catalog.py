"""The metric catalog (search and filters) and the metric page (grain, range, breakdown, definition, promote)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from onpace.catalog import models as m
from onpace.engine import Query as EngineQuery
from onpace.errors import OnpaceError, UserError
from onpace.services import explore, lifecycle, notes
from onpace.web.deps import UserDep, WorkspaceDep, allowed
from onpace.web.render import page, redirect

router = APIRouter(prefix="/metrics")
TextQ = Annotated[str | None, Query(max_length=200)]


@router.get("")
def catalog(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    q: TextQ = None,
    department: TextQ = None,
    owner: TextQ = None,
    type: TextQ = None,
    tag: TextQ = None,
    kpi: Annotated[str | None, Query(pattern="^(yes|no)?$")] = None,
) -> Response:
    project = ws.project()
    is_kpi = None if not kpi else kpi == "yes"
    rows = explore.catalog(project, q=q, department=department, owner=owner, type=type, tag=tag, kpi=is_kpi)
    everything = explore.catalog(project)
    context: dict[str, Any] = {
        "rows": rows,
        "filters": {"q": q, "department": department, "owner": owner, "type": type, "tag": tag, "kpi": kpi},
        "departments": sorted({r["department"] for r in everything if r["department"]}),
        "owners": sorted({r["owner"] for r in everything if r["owner"]}),
        "types": sorted({r["type"] for r in everything}),
        "tags": sorted({t for r in everything for t in r["tags"]}),
    }
    template = "_catalog_rows.html" if request.headers.get("hx-target") == "catalog-rows" else "catalog.html"
    return page(request, template, **context)


@router.get("/{name}")
def metric_page(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    grain: m.Grain | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    by: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    project = ws.project()
    metric = explore.get_metric(project, name)
    chosen = grain or metric.default_grain or m.Grain.month
    breakdown: list[dict[str, Any]] = []
    sql = None
    with ws.engine() as engine:
        points = explore.values_over_time(project, ws.store, engine, name, grain=chosen, start=start, end=end)
        if by:
            breakdown = explore.breakdown(project, engine, name, by, start=start, end=end)
        if user.can("read_generated_sql") and explore.dimensions_of(project, name) is not None:
            try:
                sql = engine.sql(
                    EngineQuery(metrics=[name], dimensions=[by] if by else [], grain=chosen, start=start, end=end)
                )
            except OnpaceError as exc:
                sql = f"-- {exc}"
    definition = yaml.safe_dump(
        metric.model_dump(mode="json", exclude_defaults=True, exclude_none=True), sort_keys=False, allow_unicode=True
    )
    return page(
        request,
        "metric.html",
        metric=metric,
        summary=explore.metric_summary(project, metric),
        grain=chosen,
        grains=list(m.Grain),
        start=start,
        end=end,
        by=by,
        points=points,
        breakdown=breakdown,
        dimensions=explore.dimensions_of(project, name),
        definition=definition,
        sql=sql,
        objectives=sorted(project.objectives),
        comments=notes.list_comments(ws.store, "metric", name),
    )


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
    return page(request, "_comments.html", comments=notes.list_comments(ws.store, "metric", name))

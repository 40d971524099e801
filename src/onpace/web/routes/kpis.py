"""The KPI page and its parts: chart, breakdown, drivers, past periods, targets, reviews, comments, annotations."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from onpace.catalog import models as m
from onpace.errors import NotFoundError, did_you_mean
from onpace.services import explore, kpi_chart, notes, scorecard
from onpace.services import reviews as review_service
from onpace.store import evaluations as ev
from onpace.store.targets import list_target_history
from onpace.web.deps import UserDep, WorkspaceDep, allowed
from onpace.web.render import attachment, page

router = APIRouter(prefix="/kpis")
SegmentQ = Annotated[str, Query(max_length=m.MAX_SEGMENT)]


def _kpi(project: Any, name: str) -> Any:
    kpi = project.kpis.get(name)
    if kpi is None:
        suggestion = did_you_mean(name, project.kpis)
        raise NotFoundError(f"no KPI named '{name}'" + (f"; did you mean '{suggestion}'?" if suggestion else ""))
    return kpi


def _period_range(project: Any, store: Any, name: str, segment: str) -> tuple[dt.date | None, dt.date | None]:
    with store.session(readonly=True) as s:
        latest = [e for e in ev.latest_evaluations(s, name) if e.segment == segment]
    return (latest[0].period_start, latest[0].as_of) if latest else (None, None)


@router.get("/{name}")
def kpi_page(request: Request, name: str, ws: WorkspaceDep, user: UserDep, segment: SegmentQ = "") -> Response:
    project = ws.project()
    kpi = _kpi(project, name)
    rows = [r for r in scorecard.kpi_rows(project, ws.store) if r["kpi"] == name]
    row = next((r for r in rows if (r["segment"] or "") == segment), rows[0] if rows else None)
    segment = (row["segment"] or "") if row else segment
    metric = project.metrics[kpi.metric]
    with ws.store.session(readonly=True) as s:
        history = ev.evaluation_history(s, name, segment)
        targets = list_target_history(s, name)
    last: dict[dt.date, Any] = {}
    for e in history:
        last[e.period_start] = e
    past = sorted(
        (e for e in last.values() if e.status in ("achieved", "missed")), key=lambda e: e.period_start, reverse=True
    )
    drivers = []
    with ws.engine() as engine:
        for driver in kpi.drivers:
            if driver not in project.metrics:
                continue
            points = explore.values_over_time(
                project, ws.store, engine, driver, grain=m.Grain.month, mark_in_progress=False
            )
            values = [p["value"] for p in points.rows if p["value"] is not None][-12:]
            d = project.metrics[driver]
            drivers.append({"name": driver, "label": d.label or driver, "values": values, "format": d.format})
    return page(
        request,
        "kpi.html",
        kpi=kpi,
        metric=metric,
        row=row,
        segments=[r["segment"] for r in rows if r["segment"]],
        segment=segment,
        past=past,
        targets=targets,
        drivers=drivers,
        dimensions=explore.dimensions_of(project, kpi.metric),
        reviews=review_service.history(project, ws.store, name, limit=20),
        comments=notes.list_comments(ws.store, "kpi", name),
        annotations=notes.list_annotations(ws.store, "kpi", name),
        assessments=review_service.ASSESSMENTS,
    )


@router.get("/{name}/breakdown")
def breakdown(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    by: Annotated[str, Query(min_length=1, max_length=128)],
    segment: SegmentQ = "",
    where: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Bars of the KPI's metric over its current period to date, by one dimension; ``where`` drills down."""
    project = ws.project()
    kpi = _kpi(project, name)
    start, end = _period_range(project, ws.store, name, segment)
    filters = [f for f in (kpi.segment, _segment_filter(kpi, segment), where) if f]
    with ws.engine() as engine:
        rows = explore.breakdown(
            project, engine, kpi.metric, by, start=start, end=end, where=" and ".join(f"({f})" for f in filters) or None
        )
    others = [d for d in explore.dimensions_of(project, kpi.metric) if d != by]
    return page(
        request,
        "_breakdown.html",
        rows=rows,
        by=by,
        kpi=kpi,
        segment=segment,
        where=where,
        others=others,
        start=start,
        end=end,
        format=project.metrics[kpi.metric].format,
    )


def _segment_filter(kpi: Any, segment: str) -> str | None:
    if not segment or not kpi.segment_by:
        return None
    return f"{kpi.segment_by} = '" + segment.replace("'", "''") + "'"


@router.get("/{name}/export.csv")
def export_csv(name: str, ws: WorkspaceDep, user: UserDep, segment: SegmentQ = "") -> Response:
    """What the chart shows, day by day: actual, target path, and the forecast at the end."""
    project = ws.project()
    _kpi(project, name)
    data = kpi_chart.chart(project, ws.store, name, segment)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "actual", "target_to_date", "target_low_to_date", "target_high_to_date"])
    for i, day in enumerate(data["days"]):
        writer.writerow(
            [
                "" if v is None else v
                for v in (day, data["actual"][i], data["target"][i], data["target_low"][i], data["target_high"][i])
            ]
        )
    cone = data["cone"]
    if cone:
        writer.writerow([])
        writer.writerow(["forecast_at", "forecast", "forecast_low", "forecast_high"])
        writer.writerow([cone["to"], cone["value"], cone["low"], cone["high"]])
    stem = f"{name}-{segment[:100]}" if segment else name
    return Response(out.getvalue(), media_type="text/csv", headers={"Content-Disposition": attachment(f"{stem}.csv")})


@router.post("/{name}/comments", dependencies=[allowed("comment")])
def add_comment(
    request: Request, name: str, ws: WorkspaceDep, user: UserDep, body: Annotated[str, Form(max_length=10_000)]
) -> Response:
    user.require("comment")
    notes.add_comment(ws.project(), ws.store, "kpi", name, author=user.name, body=body)
    return page(request, "_comments.html", comments=notes.list_comments(ws.store, "kpi", name))


@router.post("/{name}/annotations", dependencies=[allowed("annotate")])
def add_annotation(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    on_date: Annotated[dt.date, Form(alias="date")],
    label: Annotated[str, Form(max_length=200)],
    body: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    user.require("annotate")
    notes.add_annotation(ws.project(), ws.store, "kpi", name, author=user.name, on_date=on_date, label=label, body=body)
    response = page(request, "_annotations.html", annotations=notes.list_annotations(ws.store, "kpi", name))
    response.headers["HX-Trigger"] = "annotations-changed"
    return response


@router.post("/{name}/reviews", dependencies=[allowed("review")])
def add_review(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    assessment: Annotated[str, Form(max_length=16)],
    commentary: Annotated[str, Form(max_length=20_000)],
    actions: Annotated[str, Form(max_length=20_000)] = "",
    segment: Annotated[str, Form(max_length=m.MAX_SEGMENT)] = "",
) -> Response:
    user.require("review")
    project = ws.project()
    review_service.record_review(
        project,
        ws.store,
        name,
        reviewer=user.name,
        assessment=assessment,
        commentary=commentary,
        actions=actions.splitlines(),
        segment=segment or None,
    )
    return page(request, "_reviews.html", reviews=review_service.history(project, ws.store, name, limit=20))

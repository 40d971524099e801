"""The KPI page and its parts: chart, breakdown, drivers, past periods, targets, reviews, comments, annotations."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from onpace.catalog import models as m
from onpace.services import board, feedback, notes
from onpace.services import kpi_page as kpis
from onpace.services import reviews as review_service
from onpace.services import what_changed as change_service
from onpace.services.views.names import Names
from onpace.services.workspace import Workspace
from onpace.web.deps import AsOfDep, UserDep, WorkspaceDep, allowed
from onpace.web.page_cache import kept
from onpace.web.render import attachment, page

router = APIRouter(prefix="/kpis")
SegmentQ = Annotated[str, Query(max_length=m.MAX_SEGMENT)]
PAGE_REVIEWS = 20


@router.get("/{name}")
def kpi_page(
    request: Request, name: str, ws: WorkspaceDep, user: UserDep, as_of: AsOfDep, segment: SegmentQ = ""
) -> Response:
    """The KPI page; with ``as_of``, its verdict as it was on that day (from the data up to it).

    What its evaluations give is kept until the next evaluation or definition change (like the
    scorecard's board); what people write (reviews, comments, annotations...) is read every time.
    The track record is not shown here, so not computed (the API's page answers it).
    """
    project = ws.project()
    known = evaluated(ws, name, segment, as_of)
    found = kpis.page(ws, name, segment, as_of, track_record=False, known=known)
    return page(request, "kpi.html", page=found, names=Names.of(project), change=known.change, as_of=as_of)


def evaluated(ws: Workspace, name: str, segment: str, as_of: dt.date | None) -> kpis.Evaluated:
    """The part of a KPI page its evaluations give, kept per newest evaluation (web/page_cache.py)."""
    newest, _ = board.newest(ws.store)
    return kept(ws, "kpi-pages", newest, (name, segment, as_of), lambda: kpis.evaluated(ws, name, segment, as_of))


@router.get("/{name}/breakdown")
def breakdown(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    by: Annotated[str, Query(min_length=1, max_length=128)],
    as_of: AsOfDep,
    segment: SegmentQ = "",
    where: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Bars of the KPI's metric over its period up to the as-of date, by one dimension; ``where`` drills down."""
    view = kpis.breakdown(ws, name, by, segment, where, as_of)
    return page(request, "_breakdown.html", view=view, names=Names.of(ws.project()), as_of=as_of)


@router.get("/{name}/what-changed")
def what_changed(
    request: Request, name: str, ws: WorkspaceDep, user: UserDep, as_of: AsOfDep, segment: SegmentQ = ""
) -> Response:
    """The KPI page's "What changed" section, which the page loads once shown (its queries take 0.3-2 s)."""
    view = change_service.what_changed(ws, name, segment, as_of)
    return page(request, "_what_changed.html", view=view)


@router.get("/{name}/export.csv")
def export_csv(name: str, ws: WorkspaceDep, user: UserDep, as_of: AsOfDep, segment: SegmentQ = "") -> Response:
    """What the chart shows, day by day: actual, target path, and the forecast at the end; with ``as_of``,
    the chart of the page as of that day (it exported the latest period whatever the page showed)."""
    data = kpis.chart(ws.project(), ws.store, name, segment, as_of)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "actual", "target_to_date", "target_low_to_date", "target_high_to_date"])
    for i, day in enumerate(data.days):
        writer.writerow(
            [
                "" if v is None else v
                for v in (day, data.actual[i], data.target[i], data.target_low[i], data.target_high[i])
            ]
        )
    cone = data.cone
    if cone:
        writer.writerow([])
        writer.writerow(["forecast_at", "forecast", "forecast_low", "forecast_high"])
        writer.writerow([cone.to, cone.value, cone.low, cone.high])
    stem = f"{name}-{segment[:100]}" if segment else name
    stem = f"{stem}-as-of-{as_of.isoformat()}" if as_of else stem
    return Response(out.getvalue(), media_type="text/csv", headers={"Content-Disposition": attachment(f"{stem}.csv")})


@router.post("/{name}/comments", dependencies=[allowed("comment")])
def add_comment(
    request: Request, name: str, ws: WorkspaceDep, user: UserDep, body: Annotated[str, Form(max_length=10_000)]
) -> Response:
    user.require("comment")
    notes.add_comment(ws.project(), ws.store, "kpi", name, author=user.name, body=body)
    return page(request, "_comments.html", comments=feedback.list_comments(ws.store, "kpi", name))


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
    response = page(request, "_annotations.html", annotations=feedback.list_annotations(ws.store, "kpi", name))
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
    return page(request, "_reviews.html", reviews=feedback.reviews(project, ws.store, name, limit=PAGE_REVIEWS))

"""The Reports page: each report, its last runs and a preview; the print views of the scorecard and a KPI page.

- ``/reports``: every report (audience, schedule, recipients, formats) with its last runs, and a
  "Send now" form for those who may send it;
- ``/reports/NAME/preview``: the report as its PDF shows it (the renderer's document, charts as
  ``data:`` images, no script), as of a date with ``?as_of=``;
- ``/reports/NAME.pdf`` and ``/reports/NAME.csv``: the attachments, rendered now (downloads);
- ``/reports/print/scorecard`` and ``/reports/print/kpis/NAME``: the scorecard and a KPI page on
  paper: no navigation, no script, the chart drawn as SVG, a print stylesheet.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from onpace.catalog import models as m
from onpace.catalog.channels import EmailChannel, example_recipient
from onpace.catalog.project import Project
from onpace.errors import UserError
from onpace.services import app_definitions, kpi_page, report_delivery, report_render
from onpace.services import board as board_service
from onpace.services.auth import Action
from onpace.services.evaluate import parse_as_of
from onpace.services.filters import ScorecardFilter
from onpace.services.views.kpis import KpiChart
from onpace.services.workspace import Workspace
from onpace.web.deps import AsOfDep, UserDep, WorkspaceDep, allowed
from onpace.web.render import attachment, page, redirect

router = APIRouter(prefix="/reports")

# Sending a report now does by hand what the scheduler does on the report's tick, as "refresh now"
# does for a source: a strategist's (leadership's) act, as the API's POST /api/reports/NAME/send.
SEND: Action = "refresh"
SegmentQ = Annotated[str, Query(max_length=m.MAX_SEGMENT)]
DOWNLOADS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
DEFINE: Action = "manage_goals"  # reports are definitions, as objectives, KPIs and alert rules are
EXAMPLE = """name: weekly_digest
label: Weekly digest
audience: {{objective: {objective}}}
schedule: {{cron: "0 7 * * mon", timezone: Europe/London}}
recipients: [{recipient}]
formats: [pdf, csv]
"""


def example(project: Project) -> str:
    """The new report's example, on this project's first objective and to a recipient it can reach."""
    objective = next(iter(project.objectives), "grow_sales")
    return EXAMPLE.format(objective=objective, recipient=example_recipient(project.config.channels))


def _page(request: Request, ws: Workspace, user: Any, *, status_code: int = 200, **context: Any) -> Response:
    project = ws.project()
    made_here = [name for name in project.reports if app_definitions.managed_by_app(project, "report", name)]
    return page(
        request,
        "reports.html",
        status_code=status_code,
        reports=report_delivery.list_reports(project, ws.store),
        can_send=user.can(SEND),
        can_define=user.can(DEFINE),
        written={name: app_definitions.written(project, "report", name) for name in made_here},
        example=example(project),
        has_email=any(isinstance(c, EmailChannel) for c in project.config.channels.values()),
        **context,
    )


@router.get("", dependencies=[allowed("read")])
def reports_page(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    sent: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="the run just sent: shown on top")] = None,
) -> Response:
    return _page(request, ws, user, sent=report_delivery.run_view(ws.store, sent) if sent is not None else None)


@router.post("", dependencies=[allowed(DEFINE)])
def create(
    request: Request, ws: WorkspaceDep, user: UserDep, definition: Annotated[str, Form(max_length=20_000)]
) -> Response:
    """A new report from its YAML, kept in models/app.yml (checked by loading the whole project first)."""
    user.require(DEFINE)
    try:
        app_definitions.save_text(ws.project(), ws.store, "report", definition, actor=user.name)
    except UserError as exc:  # shown above the form, which keeps what was typed
        return _page(request, ws, user, status_code=exc.status, draft=definition, draft_error=exc.public_message)
    return redirect(request, "/reports")


@router.post("/{name}/edit", dependencies=[allowed(DEFINE)])
def update(
    request: Request, name: str, ws: WorkspaceDep, user: UserDep, definition: Annotated[str, Form(max_length=20_000)]
) -> Response:
    user.require(DEFINE)
    try:
        app_definitions.save_text(ws.project(), ws.store, "report", definition, actor=user.name, name=name)
    except UserError as exc:
        return _page(
            request, ws, user, status_code=exc.status, edited=name, draft=definition, draft_error=exc.public_message
        )
    return redirect(request, f"/reports#report-{name}")


@router.post("/{name}/delete", dependencies=[allowed(DEFINE)])
def delete(request: Request, name: str, ws: WorkspaceDep, user: UserDep) -> Response:
    user.require(DEFINE)
    app_definitions.delete(ws.project(), ws.store, "report", name, actor=user.name)
    return redirect(request, "/reports")


@router.post("/{name}/send", dependencies=[allowed(SEND)])
def send_now(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    to: Annotated[str, Form(max_length=320, description="only to this email address (blank: its recipients)")] = "",
    as_of: Annotated[str, Form(max_length=32, description="as of this date (blank: the latest)")] = "",
) -> Response:
    """Render the report and queue it to its recipients (or to ``to``) now; the next delivery sends it."""
    user.require(SEND)
    project = ws.project()
    report_render.get_report(project, name)
    day = parse_as_of(as_of.strip())
    with ws.engine() as engine:
        run = report_delivery.send_report(
            project, ws.store, engine, name, as_of=day, to=to.strip() or None, requested_by=user.name
        )
    # after a POST, a GET (a reload shows the run again, it does not send the report again)
    return redirect(request, f"/reports?sent={run.id}#report-{name}")


@router.get("/print/scorecard", dependencies=[allowed("read")])
def print_scorecard(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    filters: Annotated[ScorecardFilter, Query()],
    as_of: AsOfDep,
) -> Response:
    """The scorecard on paper: each objective's KPIs as a table (the filters and as-of date of the scorecard)."""
    project = ws.project()
    found = board_service.board(project, ws.store, filters, as_of)
    _, last = board_service.newest(ws.store)
    view = board_service.page(project, found.everything, filters, last, as_of)
    return page(request, "print_scorecard.html", view=view, nodes=found.nodes, as_of=as_of)


@router.get("/print/kpis/{name}", dependencies=[allowed("read")])
def print_kpi(
    request: Request, name: str, ws: WorkspaceDep, user: UserDep, as_of: AsOfDep, segment: SegmentQ = ""
) -> Response:
    """A KPI page on paper: verdict, numbers, what changed, the chart (SVG), past periods, drivers, reviews."""
    project = ws.project()
    found = kpi_page.page(ws, name, segment, as_of, what_changed=True, track_record=False)
    data = kpi_page.chart(project, ws.store, name, found.segment, as_of)
    return page(request, "print_kpi.html", page=found, chart=chart_svg(data), as_of=as_of)


@router.get("/{name}/preview", dependencies=[allowed("read")])
def preview(name: str, ws: WorkspaceDep, user: UserDep, as_of: AsOfDep) -> Response:
    """The report as of ``as_of`` (default: the latest), as its PDF shows it: its own page."""
    project = ws.project()
    report_render.get_report(project, name)
    with ws.engine() as engine:
        rendered = report_render.render_report(project, ws.store, engine, name, as_of=as_of, formats=[])
    return HTMLResponse(rendered.preview_html)


@router.get("/{name}.pdf", dependencies=[allowed("read")])
def download_pdf(name: str, ws: WorkspaceDep, user: UserDep, as_of: AsOfDep) -> Response:
    return _download(ws, name, "pdf", as_of)


@router.get("/{name}.csv", dependencies=[allowed("read")])
def download_csv(name: str, ws: WorkspaceDep, user: UserDep, as_of: AsOfDep) -> Response:
    return _download(ws, name, "csv", as_of)


def _download(ws: Workspace, name: str, fmt: str, as_of: dt.date | None) -> Response:
    """The report's PDF or CSV rendered now, as a download named ``NAME-<as of>.<fmt>``."""
    project = ws.project()
    report_render.get_report(project, name)
    with ws.engine() as engine:
        rendered = report_render.render_report(project, ws.store, engine, name, as_of=as_of, formats=[fmt])
    data = rendered.pdf if fmt == "pdf" else rendered.csv
    assert data is not None  # asked for
    return Response(
        data,
        media_type=DOWNLOADS[fmt],
        headers={"Content-Disposition": attachment(f"{name}-{rendered.as_of.isoformat()}.{fmt}")},
    )


# -- the print view's chart: the KPI page's chart as SVG (no script on paper) ----------------------

WIDTH, HEIGHT, PAD = 640.0, 220.0, 6.0


def chart_svg(chart: KpiChart) -> dict[str, Any] | None:
    """The polylines of the KPI's chart in a ``WIDTH`` x ``HEIGHT`` box: actual, target path, its band,
    and the forecast cone to the period end; None when there is nothing to draw."""
    if not chart.days:
        return None
    first = chart.days[0]
    last = max(chart.days[-1], chart.cone.to if chart.cone is not None else chart.days[-1])
    values = [v for series in (chart.actual, chart.target, chart.target_low, chart.target_high) for v in series]
    if chart.cone is not None:
        values += [chart.cone.start, chart.cone.value, chart.cone.low, chart.cone.high]
    known = [float(v) for v in values if v is not None]
    if not known:
        return None
    low, high = min(0.0, *known), max(known)
    span = (high - low) or 1.0
    days = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return PAD + (day - first).days / days * (WIDTH - 2 * PAD)

    def y(value: float) -> float:
        return HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD)

    def line(series: list[float | None]) -> str:
        return " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(chart.days, series, strict=False) if v is not None)

    band = ""
    pairs = [
        (d, lo, hi)
        for d, lo, hi in zip(chart.days, chart.target_low, chart.target_high, strict=False)
        if lo is not None and hi is not None
    ]
    if pairs:
        upper = [f"{x(d):.1f},{y(hi):.1f}" for d, _, hi in pairs]
        lower = [f"{x(d):.1f},{y(lo):.1f}" for d, lo, _ in reversed(pairs)]
        band = " ".join(upper + lower)
    cone = forecast = ""
    if chart.cone is not None:
        c = chart.cone
        start = f"{x(c.from_):.1f},{y(c.start):.1f}"
        forecast = f"{start} {x(c.to):.1f},{y(c.value):.1f}"
        if c.low is not None and c.high is not None:
            cone = f"{start} {x(c.to):.1f},{y(c.high):.1f} {x(c.to):.1f},{y(c.low):.1f}"
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "actual": line(chart.actual),
        "target": line(chart.target),
        "band": band,
        "cone": cone,
        "forecast": forecast,
        "low": low,
        "high": high,
        "first": first,
        "last": last,
    }

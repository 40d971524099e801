"""Rendering a report: the PDF pack, the HTML email, its text part, the CSV of the numbers (ADR 0016).

:func:`render_report` assembles the report's content as of a date (:mod:`onpace.services.report_content`),
draws each KPI's chart as a PNG (:mod:`onpace.services.report_charts`) and renders it four ways:

- ``preview_html``: one HTML document (templates ``report/pack.html``): the cover, the scorecard and
  a page per KPI, with the charts as ``data:`` URIs, for the browser;
- ``pdf``: that same document printed by WeasyPrint (A4 or Letter, numbered pages, real text);
- ``html``: the email body (``report/email.html``): tables and inline styles only, 640 pixels wide,
  the charts as ``cid:`` images (``images`` holds their PNGs by content id);
- ``text``: the email's plain-text part; ``summary``: a line per KPI for chat messages;
- ``csv``: a row per KPI (and segment), formula-safe.

It sends nothing: :mod:`onpace.services.report_delivery` queues what it returns. Every value
goes through Jinja's autoescape; no template marks data safe. WeasyPrint fetches nothing but the
document's own ``data:`` images.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from onpace.catalog.project import Project
from onpace.catalog.reports import FORMATS, Report
from onpace.errors import MissingDependencyError, NotFoundError, UserError, did_you_mean, hint
from onpace.services.report_charts import chart_png
from onpace.services.report_content import Content, Line, assemble
from onpace.store import report_runs
from onpace.store.db import Store

if TYPE_CHECKING:
    from onpace.engine import Engine

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates" / "report"
CSV_COLUMNS = (
    "kpi",
    "segment",
    "label",
    "owner",
    "status",
    "actual",
    "target",
    "expected_to_date",
    "attainment",
    "probability",
    "forecast",
    "period_start",
    "period_end",
    "as_of",
)
#: A text cell starting with one of these is read as a formula by spreadsheets: it gets a quote first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RenderedReport:
    """A report rendered as of one date, in every form it is sent or shown in."""

    report: str
    title: str
    as_of: dt.date
    html: str  # the HTML email body: charts as <img src="cid:NAME">, inline CSS only, no script
    preview_html: str  # the same content for the browser: charts as data: URIs, no script
    text: str  # the plain-text version (the email's text part, the source of chat summaries)
    images: dict[str, bytes]  # content id -> PNG bytes
    pdf: bytes | None  # None when "pdf" is not among the formats asked
    csv: bytes | None  # None when "csv" is not among the formats asked
    pages: int | None  # the PDF's page count
    kpis: dict[str, dict[str, Any]]  # "kpi|segment" -> {"status", "actual", "label"}: report_runs.kpis
    summary: list[dict[str, Any]]  # per KPI: kpi, label, segment, status, value, url (for chat messages)


def get_report(project: Project, name: str) -> Report:
    """The report named ``name``; a NotFoundError with a "did you mean" when there is none."""
    report = project.reports.get(name)
    if report is None:
        suggestion = did_you_mean(name, project.reports)
        known = f"; the reports are {', '.join(sorted(project.reports))}" if project.reports else "; none is defined"
        raise NotFoundError(f"no report named '{name}'" + (hint(suggestion) or known))
    return report


def render_report(
    project: Project,
    store: Store,
    engine: Engine | None,
    name: str,
    *,
    as_of: dt.date | None = None,
    since: dt.datetime | None = None,
    previous: Mapping[str, Mapping[str, Any]] | None = None,
    formats: Sequence[str] | None = None,
) -> RenderedReport:
    """Render report ``name`` as of ``as_of`` (None: the evaluation the scorecard shows now).

    ``since`` and ``previous``: the start and the ``kpis`` of the report's last succeeded run
    (:func:`onpace.store.report_runs.last_run`): the reviews and comments after it, and which KPIs
    moved since (None: a first report). ``formats``: the attachments to make, of ``pdf`` and ``csv``
    (None: the report's own). ``engine``: computes the "what changed" paragraphs (None: none).
    """
    report = get_report(project, name)
    wanted = list(report.formats if formats is None else formats)
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise UserError(f"unknown report format {', '.join(unknown)}; expected {' or '.join(FORMATS)}")
    content = assemble(project, store, engine, report, as_of=as_of, since=since, previous=previous)
    cids = _cids(content)
    images = {cids[line.key]: png for line in content.lines if (png := _png(line)) is not None}
    app_url = project.config.notifications.app_url
    data_uris = {cid: "data:image/png;base64," + base64.b64encode(png).decode("ascii") for cid, png in images.items()}
    env = _env()
    preview = env.get_template("pack.html").render(c=content, img=data_uris, cid=cids)
    email = env.get_template("email.html").render(
        c=content,
        img={cid: f"cid:{cid}" for cid in images},
        cid=cids,
        app_url=app_url.rstrip("/") if app_url else None,
        attached=[f for f in FORMATS if f in wanted],
    )
    pdf, pages = _pdf(preview) if "pdf" in wanted else (None, None)
    return RenderedReport(
        report=report.name,
        title=content.title,
        as_of=content.as_of,
        html=email,
        preview_html=preview,
        text=text_of(content, app_url),
        images=images,
        pdf=pdf,
        csv=csv_of(content) if "csv" in wanted else None,
        pages=pages,
        kpis={
            line.key: {"status": line.status, "actual": line.row.actual, "label": line.title} for line in content.lines
        },
        summary=[
            {
                "kpi": line.row.kpi,
                "label": line.title,
                "segment": line.row.segment,
                "status": line.status,
                "value": f"{line.actual} vs {line.target}",
                "url": line.url,
            }
            for line in content.lines
        ],
    )


def text_of(content: Content, app_url: str | None = None) -> str:
    """The report in plain text: the email's text part (what a mail client shows without HTML)."""
    base = app_url.rstrip("/") if app_url else ""
    counts = ", ".join(f"{n} {label.lower()}" for _, label, _, n in content.counts) or "no KPI evaluated"
    out = [
        content.title,
        f"{content.audience[:1].upper()}{content.audience[1:]} · as of {content.as_of.isoformat()} · {counts}",
        "",
    ]
    for line in content.lines:
        out.append(f"* {line.title}: {line.status_label.upper()}, {line.actual} (target {line.target})")
        if line.row.reason:
            out.append(f"  {line.row.reason}")
        if line.what_changed and line.moved:
            out.append(f"  What changed: {line.what_changed}")
        if base:
            out.append(f"  {base}{line.url}")
    if content.not_evaluated:
        out += ["", "Not evaluated yet: " + ", ".join(content.not_evaluated)]
    if content.due:
        out += ["", "Reviews overdue:"]
        out += [f"* {d.label}{f' ({d.segment})' if d.segment else ''}, owner {d.owner or '-'}" for d in content.due]
    return "\n".join(out).rstrip() + "\n"


def render_since_last_run(
    project: Project,
    store: Store,
    engine: Engine | None,
    name: str,
    *,
    as_of: dt.date | None = None,
    formats: Sequence[str] | None = None,
) -> RenderedReport:
    """:func:`render_report` after the report's last succeeded run (what ``onpace report render`` shows):
    the reviews and comments since it started, and "what changed" for the KPIs that moved since."""
    get_report(project, name)
    last = report_runs.last_run(store, name)
    return render_report(
        project,
        store,
        engine,
        name,
        as_of=as_of,
        since=last.started_at if last is not None else None,
        previous=last.kpis if last is not None else None,
        formats=formats,
    )


def csv_of(content: Content) -> bytes:
    """The numbers, one row per KPI (and segment); text cells that a spreadsheet would run are quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in content.lines:
        row = line.row
        writer.writerow(
            [
                _cell(value)
                for value in (
                    row.kpi,
                    row.segment,
                    row.label,
                    row.owner,
                    row.status,
                    row.actual,
                    row.target,
                    row.expected_to_date,
                    row.attainment,
                    row.probability,
                    row.forecast,
                    row.period_start,
                    row.period_end,
                    row.as_of,
                )
            ]
        )
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def _cids(content: Content) -> dict[str, str]:
    """Each line's chart content id (by line key): ``chart-3-orders_by_region-EUROPE``."""
    return {line.key: f"chart-{i}-{_slug(line.key)}" for i, line in enumerate(content.lines, start=1)}


def _slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", key.replace("|", "-")).strip("-")[:60]


def _png(line: Line) -> bytes | None:
    return None if line.chart is None else chart_png(line.chart, line.fmt)


def _pdf(document: str) -> tuple[bytes, int]:
    """The document printed by WeasyPrint, and its page count; it may fetch its data: images only."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as exc:  # the Python package is there, the system's Pango is not
        raise MissingDependencyError(
            f"the PDF renderer (WeasyPrint) cannot load Pango: {exc}; install it with "
            "'apt-get install libpango-1.0-0 libpangoft2-1.0-0' (docs/reports.md)"
        ) from None

    fetcher = URLFetcher(allowed_protocols=("data",), allow_redirects=False)
    rendered = HTML(string=document, url_fetcher=fetcher).render()
    pdf = rendered.write_pdf()
    assert pdf is not None  # no target: the bytes
    return pdf, len(rendered.pages)


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["paper"] = {"a4": "A4", "letter": "letter"}
    return env

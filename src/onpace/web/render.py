"""Rendering pages: one Jinja2 environment, the filters the templates use, and error fragments."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from onpace import __version__
from onpace import calendar as cal
from onpace.catalog import models as m
from onpace.catalog.display import compact_value, format_value
from onpace.kpi import reason
from onpace.kpi.types import STATUS_LABELS, STATUS_ORDER
from onpace.services.lint import RULE_TITLES
from onpace.services.views.base import json_of
from onpace.services.views.names import metric_type
from onpace.services.views.notes import grouped

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


def _fmt(value: Any, fmt: m.Format | None = None, compact: bool = True) -> str:
    return compact_value(value, fmt) if compact else format_value(value, fmt)


def _pct(value: Any, decimals: int = 0) -> str:
    """A share (an attainment, the elapsed part of a period): never 100% below 1 (:func:`reason.percent`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return reason.percent(float(value), decimals)


def _likelihood(value: Any) -> str:
    """A probability: <1% and >99% rather than 0% or 100% unless it is (:func:`reason.likelihood`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return reason.likelihood(float(value))


def _signed_pct(value: Any, decimals: int = 1) -> str:
    """A change as a signed percentage: +18.5%, -3.0%."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value * 100:+.{decimals}f}%"
    return text[1:] if float(text[:-1]) == 0 else text  # no sign on a change that rounds to none


def _spark_points(values: list[float], width: int = 120, height: int = 28) -> list[str]:
    """The points ("x,y") of a sparkline in an SVG ``width`` wide and ``height`` high (none with fewer than two values)."""
    if len(values) < 2:
        return []
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = width / (len(values) - 1)
    return [f"{i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in enumerate(values)]


def _spark(values: list[float], width: int = 120, height: int = 28) -> str:
    """An SVG polyline's points for a sparkline (empty with fewer than two values)."""
    return " ".join(_spark_points(values, width, height))


def _period_name(start: dt.date, grain: str, calendar: cal.CalendarRules) -> str:
    """A period by its name (2026-11, 2026-Q4), from its first day and its grain's name."""
    try:
        return cal.period_label(start, cal.Grain(grain), calendar)
    except ValueError:
        return start.isoformat()


def _kpi_query(segment: str | None = None, as_of: dt.date | None = None) -> str:
    """The query string of a link to a KPI page: its segment and the as-of date shown ("" for neither)."""
    pairs = [(k, v) for k, v in (("segment", segment), ("as_of", as_of.isoformat() if as_of else None)) if v]
    return ("?" + urlencode(pairs)) if pairs else ""


TEMPLATES.env.filters["fmt"] = _fmt
TEMPLATES.env.filters["pct"] = _pct
TEMPLATES.env.filters["likelihood"] = _likelihood
TEMPLATES.env.filters["spark"] = _spark
TEMPLATES.env.filters["spark_points"] = _spark_points
TEMPLATES.env.filters["signed_pct"] = _signed_pct
TEMPLATES.env.filters["metric_type"] = metric_type
TEMPLATES.env.filters["period_name"] = _period_name
TEMPLATES.env.filters["rule_title"] = lambda rule: RULE_TITLES.get(rule, rule.replace("_", " ").capitalize())
TEMPLATES.env.filters["group_findings"] = grouped
TEMPLATES.env.globals["kpi_query"] = _kpi_query
TEMPLATES.env.globals["STATUS_ORDER"] = STATUS_ORDER
TEMPLATES.env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
TEMPLATES.env.filters["jsonable"] = json_of  # views as the JSON the API answers, for data-* attributes
TEMPLATES.env.globals["version"] = __version__


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    context.setdefault("today", dt.date.today())
    return TEMPLATES.TemplateResponse(
        request, template, {"user": user, "csrf": getattr(user, "csrf_token", None) or "", **context}, status_code
    )


def render_fragment(template: str, **context: Any) -> str:
    """A template rendered on its own, without a request (for HTML that many requests share)."""
    return TEMPLATES.get_template(template).render(**context)


FRAGMENT_HEADER = "X-Onpace-Fragment"  # on an error answer rendered here (escaped): the only 4xx/5xx app.js swaps in


def error_page(request: Request, message: str, status: int, *, fragment: bool) -> HTMLResponse:
    """An error as a page, or for an HTMX request as a fragment shown where the answer would go.

    The message is text: the template escapes it (it often repeats what someone typed). app.js
    inserts an error answer into the page only when it carries ``X-Onpace-Fragment`` (one of these);
    any other error body is shown as text.
    """
    response = page(
        request, "_error.html" if fragment else "error.html", status_code=status, message=message, status=status
    )
    if fragment:
        response.headers[FRAGMENT_HEADER] = "error"
    return response


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value for a download named ``filename`` (RFC 6266, RFC 5987).

    Control characters (CR, LF, …), quotes, backslashes and slashes are dropped or replaced; the
    name goes in ``filename*`` as UTF-8, with an ASCII ``filename`` for old clients, so the header
    is always ASCII whatever the name (a segment value in any script).
    """
    cleaned = (
        "".join(
            "_" if ch in "/\\" else ch for ch in filename if unicodedata.category(ch)[0] != "C" and ch != '"'
        ).strip()
        or "download"
    )
    ascii_name = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", ascii_name).strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


def redirect(request: Request, target: str) -> Response:
    """Go to ``target``: a 303 for a form, an ``HX-Redirect`` for HTMX (which would follow a 303 in place)."""
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)

"""What changed and why, the words: the paragraph's sentences from the numbers of
:mod:`onpace.services.what_changed_numbers` (docs/what-changed.md, "Numbers" and "Wording").

Two numbers that differ are never written alike: the values compared, and a change that is not 0,
get the decimals it takes (:func:`onpace.kpi.reason.apart`): "1.262% vs 1.264%", "down 0.002 pts".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from onpace import calendar as cal
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.project import MetricDef, Project
from onpace.kpi import contribution as c
from onpace.kpi.reason import apart, number, percent
from onpace.services.views.change import relative
from onpace.services.views.names import in_words
from onpace.services.views.scorecard import ScorecardRow
from onpace.services.views.what_changed import DriverChange
from onpace.services.what_changed_numbers import Named

NONE_LABEL = "(none)"
GRAIN_WORDS = {
    m.Grain.day: "day",
    m.Grain.week: "week",
    m.Grain.month: "month",
    m.Grain.quarter: "quarter",
    m.Grain.year: "year",
    m.Grain.fiscal_quarter: "fiscal quarter",
    m.Grain.fiscal_year: "fiscal year",
}
#: Said once, after the first share above 100%.
OTHER_WAY = "other segments moved the other way"


def label(metric: MetricDef) -> str:
    return metric.label or in_words(metric.name)


def subject(metric: MetricDef, kpi: g.Kpi, segment: str) -> str:
    """The metric's label, with the KPI's segment filter and its segment value: "Revenue (NORTH)"."""
    within = [text for text in (kpi.segment, segment) if text]
    return label(metric) + (f" ({'; '.join(within)})" if within else "")


def _dimension_label(project: Project, name: str) -> str:
    labels = [d.label for _, d in project.dimensions() if d.name == name and d.label]
    return labels[0] if labels else name.replace("_", " ")


def _segment_label(segment: str | None) -> str:
    return NONE_LABEL if segment is None else segment


# -- numbers in words ------------------------------------------------------------


def shown(fmt: m.Format, *, whole: bool) -> m.Format:
    """The format the paragraph writes a metric's values and moves in: the metric's own, and for a
    count (``whole``: the engine gives it in whole numbers) no decimals unless the format names
    some: "+46", not "+46.00". The one place the paragraph decides this; every number of it
    (:func:`pair`, :func:`signed`, the values in :func:`head`) is written in the format it returns."""
    if whole and fmt.decimals is None and fmt.kind == "number":
        return fmt.model_copy(update={"decimals": 0})
    return fmt


def _whole(value: float, fmt: m.Format) -> float:
    """A whole ``value`` of a plain number without decimals as an int, so that one written with
    more digits to tell it apart from another reads 12,301, not 12,301.0."""
    if fmt.kind == "number" and fmt.decimals == 0 and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return value


def _points_format(decimals: int) -> m.Format:
    """A percent's number of points (0.0126 -> 1.26) is written as a plain number with ``decimals``."""
    return m.Format(kind="number", decimals=decimals)


def _decimals(fmt: m.Format) -> int:
    return fmt.decimals if fmt.decimals is not None else (1 if fmt.kind == "percent" else 2)


def _used_decimals(text: str) -> int:
    """How many decimals ``text`` ("1.262%", "1,250") was written with."""
    number = text.rstrip("% ")
    return len(number.rsplit(".", 1)[1]) if "." in number else 0


def pair(now: float, before: float, fmt: m.Format) -> tuple[str, str]:
    """The two values compared, in the metric's format, with the decimals it takes to read apart
    when they differ (:func:`~onpace.kpi.reason.apart`). In percent, as points with a "%": two
    measured rates, not a target that must read exactly (apart's rule for a target)."""
    if fmt.kind != "percent":
        return apart(_whole(now, fmt), _whole(before, fmt), fmt)
    a, b = apart(now * 100, before * 100, _points_format(_decimals(fmt)))
    return f"{a}%", f"{b}%"


def points(value: float, decimals: int) -> str:
    """A change of a percent in points with at least ``decimals``, and more when it would read 0."""
    return apart(abs(value) * 100, 0.0, _points_format(decimals))[0] + " pts"


def signed(value: float, fmt: m.Format) -> str:
    """A change in the metric's format with its sign: +31.0M USD, -12, +1.2 pts (a percent); a
    change that is not 0 never reads 0 (+0.04 pts, not +0.0 pts)."""
    sign = "-" if value < 0 else "+"
    if fmt.kind == "percent":
        return sign + points(value, _decimals(fmt))
    return sign + apart(_whole(abs(value), fmt), 0.0, fmt)[0]


def _pct(change: float) -> str:
    if 0 < abs(change) < 0.0005:
        return "less than 0.1%"
    return f"{abs(change) * 100:,.1f}%"


def _movement(now: float, before: float, fmt: m.Format, decimals: int) -> str:
    """ "up 4.2%", "down 0.002 pts" (a percent, with at least the ``decimals`` of the values shown)."""
    way = "up" if now > before else "down"
    if fmt.kind == "percent":
        return f"{way} {points(now - before, decimals)}"
    pct = relative(now, before)
    return way if pct is None else f"{way} {_pct(pct)}"


# -- sentences -------------------------------------------------------------------


def previous_words(row: ScorecardRow, grain: m.Grain, project: Project, windows: tuple[c.Window, c.Window]) -> str:
    """The previous window in words: "2025-Q1", "the same 35 days of last quarter"."""
    current, previous = windows
    noun = GRAIN_WORDS[grain]
    if current.end >= row.period_end:  # the period is over: the whole previous one
        return cal.period_label(previous.start, grain, project.calendar)
    if previous.days < current.days:
        return f"the whole of last {noun} ({previous.days} days)"
    if current.days == 1:
        return f"the first day of last {noun}"
    return f"the same {current.days} days of last {noun}"


def head(
    project: Project,
    told: str,
    fmt: m.Format,
    row: ScorecardRow,
    grain: m.Grain,
    windows: tuple[c.Window, c.Window],
    now: float | None,
    before: float | None,
    *,
    negligible: bool,
) -> str:
    """The first sentence of ``told`` (the subject), e.g. "Revenue this quarter is up 4.2% on the same
    35 days of last quarter (…)"; "about unchanged" for a ``negligible`` change, with the change after
    the values ("(1.262% vs 1.264%, down 0.002 pts)")."""
    current = windows[0]
    if current.end >= row.period_end:
        when = f"in {cal.period_label(current.start, grain, project.calendar)} was"
    else:
        when = f"this {GRAIN_WORDS[grain]} is"
    against = previous_words(row, grain, project, windows)
    if now is None or before is None:
        return f"{told} {when} not comparable with {against} ({_value(now, fmt)} vs {_value(before, fmt)})."
    a, b = pair(now, before, fmt)
    if now == before:
        return f"{told} {when} unchanged on {against} ({a} vs {b})."
    move = _movement(now, before, fmt, _used_decimals(a) if fmt.kind == "percent" else 0)
    if negligible:
        return f"{told} {when} about unchanged on {against} ({a} vs {b}, {move})."
    return f"{told} {when} {move} on {against} ({a} vs {b})."


def _value(value: float | None, fmt: m.Format) -> str:
    return "no value" if value is None else number(_whole(value, fmt), fmt)


def segment_sentences(
    project: Project, metric: MetricDef, fmt: m.Format, method: c.Method, named: list[Named], *, negligible: bool
) -> Iterable[str]:
    """A sentence for each dimension of ``named``: the segments' shares of the change, or (no shares:
    a non-additive metric, a change that is 0 or ``negligible``) their largest moves, in ``fmt``
    (:func:`shown`)."""
    noted = False
    for ranked, parts in named:
        if not parts:
            continue
        by = f"By {_dimension_label(project, ranked.dimension)}"
        moves = _listing(f"{_segment_label(p.segment)} {signed(p.delta or 0.0, fmt)}" for p in parts)
        largest = "the largest move was" if len(parts) == 1 else "the largest moves were"
        if method == "non_additive":
            yield (
                f"{by}, {largest} {moves} (the segments of {label(metric)} do not add up to its total, "
                "so they have no shares)."
            )
        elif negligible or not ranked.split.total:
            yield f"{by}, {largest} {moves}{_offset(ranked.split, parts)}."
        else:
            first, *more = parts
            share = first.share or 0.0
            text = f"{by}, {_segment_label(first.segment)} contributed most: {signed(first.delta or 0.0, fmt)}"
            text += f" ({percent(share)} of the change"
            if round(share * 100) > 100 and not noted:  # exact, but a reader asks how: say it once
                text += f"; {OTHER_WAY}"
                noted = True
            text += ")"
            for p in more:
                text += f", then {_segment_label(p.segment)} {signed(p.delta or 0.0, fmt)} ({percent(p.share or 0.0)})"
            yield text + "."


def _offset(split: c.Split, parts: list[c.Contribution]) -> str:
    """How the moves named add up to (almost) no change: they offset each other, or the other
    segments offset them ("" when neither: nothing offset them)."""
    deltas = [p.delta for p in parts if p.delta]
    if any(d > 0 for d in deltas) and any(d < 0 for d in deltas):
        return ", which offset each other"
    shown = sum(deltas)
    others = sum(p.delta or 0.0 for p in split.parts) - shown
    return ", offset by the other segments" if others * shown < 0 and abs(others) >= abs(shown) / 2 else ""


def _listing(items: Iterable[str]) -> str:
    chosen = list(items)
    return chosen[0] if len(chosen) == 1 else ", ".join(chosen[:-1]) + " and " + chosen[-1]


def drivers_sentence(drivers: list[DriverChange]) -> str:
    if not drivers:
        return ""
    told = []
    for d in drivers:
        if d.before == 0 and d.now:
            told.append(f"{d.label} up from 0" if d.now > 0 else f"{d.label} down from 0")
            continue
        if d.change_pct is None:
            told.append(f"{d.label} (no value to compare)")
            continue
        if d.moved == "flat":
            told.append(f"{d.label} unchanged")
            continue
        how = {"with": " (moved with it)", "against": " (moved against it)"}.get(d.moved or "", "")
        told.append(f"{d.label} {d.change_pct * 100:+,.1f}%{how}")
    return "Drivers: " + ", ".join(told) + "."


def data_sentences(row: ScorecardRow, current: c.Window, previous: c.Window, first: dt.date) -> str:
    told = []
    until = row.data_until
    if until is not None and current.start <= until < current.end:
        told.append(f"The data stops on {until.isoformat()}: the days after it count as empty, as in the KPI's actual.")
    if previous.start < first <= previous.end:
        told.append(f"The data starts on {first.isoformat()}, inside the previous window.")
    return " ".join(told)


def status_sentence(row: ScorecardRow, previous_status: str | None) -> str:
    if not previous_status or previous_status == row.status:
        return ""
    return f"Status went from {previous_status.replace('_', ' ')} to {row.status.replace('_', ' ')}."

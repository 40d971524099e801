"""What changed and why, the numbers: the queries over the two windows and the segments worth naming.

The totals come from the engine (the metric in the KPI's segment), the segments from
:func:`onpace.services.explore.breakdown` by each dimension, and the split from
:mod:`onpace.kpi.contribution`. :mod:`onpace.services.what_changed_words` says them in words;
:mod:`onpace.services.what_changed` puts the two together (docs/what-changed.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from onpace.catalog import expr
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.project import MetricDef, Project
from onpace.engine import Engine, Query
from onpace.errors import OnpaceError
from onpace.kpi import contribution as c
from onpace.kpi.instances import is_computed, kpi_instances
from onpace.kpi.kind import behaviour
from onpace.services import explore
from onpace.services.views.change import relative
from onpace.services.views.names import in_words
from onpace.services.views.what_changed import DriverChange

#: A dimension with more values than this (in either window) is not searched for the change.
MAX_SEGMENTS = 50
#: Segments named for the dimension the change is most concentrated in, at most.
MAX_NAMED = 3
#: A segment after the first is named when it makes at least this share of the change
#: (of the first one's move, for a non-additive metric or a negligible change).
MIN_SHARE_NAMED = 0.10
#: The top segment of a second dimension is named when it makes at least this share of the change.
SECOND_DIMENSION_SHARE = 0.5


@dataclass(frozen=True)
class Ranked:
    """A dimension's split of the change."""

    dimension: str
    split: c.Split


Named = tuple[Ranked, list[c.Contribution]]
"""A dimension and the segments of it that the paragraph names, in its order."""


def where_of(project: Project, kpi: g.Kpi, segment: str) -> str | None:
    """The KPI instance's filter: its ``segment`` and its ``segment_by`` value (one home: kpi.instances)."""
    instance = next((i for i in kpi_instances(project) if i.kpi.name == kpi.name and i.key == segment), None)
    return (instance.filter if instance else kpi.segment) or None


@dataclass(frozen=True)
class Total:
    """A metric over a window, and whether it counts (the engine gives it in whole numbers)."""

    value: float | None  # None: no value
    whole: bool


def total(engine: Engine, metric: str, window: c.Window, where: str | None) -> Total:
    """``metric`` over the days of ``window``; ``whole`` when the engine types it as an integer (a
    count: :func:`onpace.engine.plan.is_integer` decides, the one home of that rule)."""
    table = engine.query(Query(metrics=[metric], start=window.start, end=window.end, where=where))
    column = table.column(metric)
    values = column.to_pylist()
    value = None if not values or values[0] is None else float(values[0])
    return Total(value, pa.types.is_integer(column.type))


def _by(
    project: Project, engine: Engine, metric: str, dimension: str, window: c.Window, where: str | None
) -> dict[str | None, float | None]:
    rows = explore.breakdown(project, engine, metric, dimension, start=window.start, end=window.end, where=where)
    return {r.value_of: r.value for r in rows}


def _split(
    project: Project,
    engine: Engine,
    metric: MetricDef,
    method: c.Method,
    dimension: str,
    windows: tuple[c.Window, c.Window],
    where: str | None,
) -> c.Split | None:
    """The change split by ``dimension``; None when it has more than :data:`MAX_SEGMENTS` values, or
    when it cannot tell anything (:func:`onpace.kpi.contribution.informative`)."""
    current, previous = windows
    if isinstance(metric, m.RatioMetric) and method == "ratio":
        inside = expr.all_of(where, metric.filter)
        numerator_now = _by(project, engine, metric.numerator, dimension, current, inside)
        if len(numerator_now) > MAX_SEGMENTS:
            return None
        denominator_now = _by(project, engine, metric.denominator, dimension, current, inside)
        numerator_before = _by(project, engine, metric.numerator, dimension, previous, inside)
        denominator_before = _by(project, engine, metric.denominator, dimension, previous, inside)
        maps = (numerator_now, denominator_now, numerator_before, denominator_before)
        if len({k for values in maps for k in values}) > MAX_SEGMENTS or not c.informative(*maps):
            return None
        return c.ratio(numerator_before, denominator_before, numerator_now, denominator_now)
    now = _by(project, engine, metric.name, dimension, current, where)
    if len(now) > MAX_SEGMENTS:
        return None
    before = _by(project, engine, metric.name, dimension, previous, where)
    if len({*now, *before}) > MAX_SEGMENTS or not c.informative(before, now):
        return None
    if method == "additive":
        return c.additive(before, now)
    return c.non_additive(before, now, zero_when_empty=behaviour(project, metric.name) == "flow")


def ranked(
    project: Project,
    engine: Engine,
    metric: MetricDef,
    method: c.Method,
    windows: tuple[c.Window, c.Window],
    where: str | None,
) -> list[Ranked]:
    """The dimensions that can tell and whose segments moved, the most concentrated change first."""
    out = []
    for dimension in explore.dimensions_of(project, metric.name):
        split = _split(project, engine, metric, method, dimension, windows, where)
        if split is not None and len(split.parts) >= 2 and split.moved:
            out.append(Ranked(dimension, split))
    out.sort(key=lambda r: (-r.split.concentration, r.dimension))
    return out


def named(dimensions: list[Ranked], *, negligible: bool = False) -> list[Named]:
    """The segments the paragraph names: the top 1-3 of the first dimension, and the top one of
    the second when it makes at least :data:`SECOND_DIMENSION_SHARE` of the change. A
    ``negligible`` change has no shares worth telling: the largest moves of the first dimension only."""
    if not dimensions:
        return []
    best = dimensions[0]
    if negligible:
        return [(best, _largest(best.split))]
    out = [(best, _top(best.split))]
    if len(dimensions) > 1:
        second = dimensions[1].split.parts[0]
        if second.share is not None and second.share >= SECOND_DIMENSION_SHARE:
            out.append((dimensions[1], [second]))
    return out


def _top(split: c.Split) -> list[c.Contribution]:
    if not split.total:  # no shares: the largest moves
        return _largest(split)
    parts = [p for p in split.parts if p.delta is not None]
    if not parts:
        return []
    more = [p for p in parts[1:] if p.share is not None and p.share >= MIN_SHARE_NAMED]
    return [parts[0], *more][:MAX_NAMED]  # in the direction of the change, each making a fair part of it


def _largest(split: c.Split) -> list[c.Contribution]:
    """The largest moves, by size: the first and those at least :data:`MIN_SHARE_NAMED` of it."""
    parts = sorted((p for p in split.parts if p.delta), key=lambda p: -abs(p.delta or 0.0))
    if not parts:
        return []
    first = abs(parts[0].delta or 0.0)
    return [parts[0], *(p for p in parts[1:] if abs(p.delta or 0.0) >= MIN_SHARE_NAMED * first)][:MAX_NAMED]


def driver(
    project: Project, engine: Engine, name: str, windows: tuple[c.Window, c.Window], kpi_change: float | None
) -> DriverChange | None:
    """A driver over the same two windows (the whole metric, as the KPI page's drivers); None when
    unknown. ``kpi_change``: the KPI's change (None: none to move with or against)."""
    metric = project.metrics.get(name)
    if metric is None:
        return None
    now = before = None
    if is_computed(project, name):
        try:
            now = total(engine, name, windows[0], None).value
            before = total(engine, name, windows[1], None).value
        except OnpaceError:  # a driver the engine cannot total over a range (told as "no value")
            now = before = None
    pct = relative(now, before)
    return DriverChange(
        name=name,
        label=metric.label or in_words(metric.name),
        now=now,
        before=before,
        change_pct=pct,
        moved=_moved(pct, kpi_change),
        format=metric.format,
    )


def _moved(driver: float | None, kpi: float | None) -> str | None:
    if driver is None:
        return None
    if driver == 0:
        return "flat"
    if kpi is None or kpi == 0:
        return None
    return "with" if (driver > 0) == (kpi > 0) else "against"

"""What changed and why, as numbers: the two windows compared and each segment's part of the change.

- :func:`compared_windows`: the KPI's period to date and the same number of days from the
  start of the previous period (the whole period against the whole previous one once it is over);
- :func:`additive`: a sum or a count, whose segments add up to the total: each segment's
  change ``now_i - before_i`` and its share of the total change;
- :func:`ratio`: a ratio of two such (numerator N over denominator D): the exact split
  ``(dN_i - r0 * dD_i) / D1`` (``r0 = N0 / D0``, ``D1`` the denominator now), whose parts add
  up to ``r1 - r0`` exactly, rate and mix effects together;
- :func:`non_additive`: anything else (a distinct count, a median...): each segment's own
  change, ranked by size, with no shares since the segments do not add up to the total;
- :func:`informative`: whether a dimension can tell anything (two segments with a value);
- :func:`negligible`: whether a change is too small to tell (0, or under :data:`NEGLIGIBLE`).

A segment found in one window only counts as 0 in the other (new or vanished), except for a
non-additive metric whose empty value is not 0 (an average): its change is then unknown.
``docs/what-changed.md`` states the rules. Pure functions: no query, no store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from onpace import calendar as cal
from onpace.catalog import expr
from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.kpi.instances import additive as adds_up_by_day
from onpace.kpi.resolve import baseline_start

Method = Literal["additive", "ratio", "non_additive"]
Values = Mapping[str | None, float | None]
"""A metric's value by segment (None: the rows without a value of the dimension)."""

#: A change smaller than this part of the segments' gross movement is no change (float noise).
ZERO = 1e-12
#: A change smaller than this part of the value before is negligible: "about unchanged" (0.5%).
NEGLIGIBLE = 0.005


@dataclass(frozen=True)
class Window:
    """Days compared, both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return cal.total_days(self.start, self.end)


def compared_windows(
    period_start: dt.date, period_end: dt.date, as_of: dt.date, grain: m.Grain, calendar: m.Calendar
) -> tuple[Window, Window] | None:
    """The current window (the period's first day to the as-of day, or to its end once over) and the
    previous one: the same number of days from the start of the previous period of ``grain``, never
    past that period's end; the whole previous period once the current one is over. None before the
    period starts (nothing to compare yet)."""
    if as_of < period_start:
        return None
    previous_start = baseline_start("previous_period", period_start, grain, calendar)
    previous_end = cal.period_end(previous_start, grain)
    if cal.is_over(period_end, as_of):
        return Window(period_start, period_end), Window(previous_start, previous_end)
    days = cal.elapsed_days(period_start, period_end, as_of)
    same_days = cal.add_days(previous_start, days - 1)
    return Window(period_start, as_of), Window(previous_start, min(same_days, previous_end))


def method_of(project: Project, metric: str) -> Method:
    """How a change of ``metric`` splits by segment: ``additive`` for a sum or a count (or a derived
    metric that adds and subtracts such, possibly scaled by constants), ``ratio`` for a ratio of two
    of those, else ``non_additive``."""
    chosen = project.metrics.get(metric)
    if isinstance(chosen, m.RatioMetric):
        both = _additive(project, chosen.numerator) and _additive(project, chosen.denominator)
        return "ratio" if both else "non_additive"
    return "additive" if _additive(project, metric) else "non_additive"


def _additive(project: Project, metric: str, depth: int = 0) -> bool:
    """Whether the segments' values of ``metric`` add up to its total."""
    chosen = project.metrics.get(metric)
    if chosen is None or depth > 20 or isinstance(chosen, m.ManualMetric):
        return False
    if isinstance(chosen, m.SimpleMetric):
        return adds_up_by_day(project, metric)  # a sum or a count: by day and by segment alike
    if not isinstance(chosen, m.DerivedMetric):
        return False
    inputs = {(i.alias or i.metric): _additive(project, i.metric, depth + 1) for i in chosen.inputs}
    try:
        return _linear(expr.parse(chosen.expr), inputs)
    except expr.ExpressionError:
        return False


def _linear(node: expr.Node, inputs: Mapping[str, bool]) -> bool:
    """Whether ``node`` adds and subtracts additive inputs, each possibly times or over a constant
    (a constant term would be counted once per segment: not additive)."""
    if isinstance(node, expr.Name):
        return inputs.get(node.text, False)
    if isinstance(node, expr.Neg):
        return _linear(node.operand, inputs)
    if not isinstance(node, expr.BinOp):
        return False
    if node.op in ("+", "-"):
        return _linear(node.left, inputs) and _linear(node.right, inputs)
    right_constant = isinstance(node.right, expr.Literal) and isinstance(node.right.value, (int, float))
    if node.op == "*":
        left_constant = isinstance(node.left, expr.Literal) and isinstance(node.left.value, (int, float))
        return (left_constant and _linear(node.right, inputs)) or (right_constant and _linear(node.left, inputs))
    return node.op == "/" and right_constant and _linear(node.left, inputs)


@dataclass(frozen=True)
class Contribution:
    """One segment's part of a change.

    ``before``/``now``: the segment's value in each window (for a ratio, its own ratio; None when
    it has none). ``delta``: its contribution to the change (for a non-additive metric, its own
    change; None when unknown). ``share``: ``delta`` over the total change (None for a
    non-additive metric, or when the total did not change).
    """

    segment: str | None
    before: float | None
    now: float | None
    delta: float | None
    share: float | None


@dataclass(frozen=True)
class Split:
    """A change split by the segments of one dimension, the largest contributors first.

    ``total``: the change the parts add up to (None for a non-additive metric). The parts come
    in the direction of the change first (largest first), then those that went against it; with
    no change (or no total), by size.
    """

    method: Method
    total: float | None
    parts: tuple[Contribution, ...]

    @property
    def concentration(self) -> float:
        """How much of the segments' movement the largest one makes: ``max |delta_i| / sum |delta_i|``
        (1: one segment moved alone; 0: nothing moved)."""
        sizes = [abs(p.delta) for p in self.parts if p.delta is not None]
        gross = sum(sizes)
        return max(sizes) / gross if gross > 0 else 0.0

    @property
    def moved(self) -> bool:
        """Whether any segment moved at all."""
        return any(p.delta for p in self.parts)


def _key(segment: str | None) -> tuple[bool, str]:
    return (segment is None, segment or "")


def _segments(*maps: Values) -> list[str | None]:
    return sorted({k for values in maps for k in values}, key=_key)


def _num(values: Values, segment: str | None) -> float:
    value = values.get(segment)
    return 0.0 if value is None else float(value)


def _is_zero(total: float, parts: list[Contribution]) -> bool:
    gross = sum(abs(p.delta) for p in parts if p.delta is not None)
    return gross == 0 or abs(total) <= ZERO * gross


def _ordered(method: Method, total: float | None, parts: list[Contribution]) -> Split:
    """``parts`` in the order of :class:`Split`, with their shares of ``total``."""
    flat = total is None or _is_zero(total, parts)
    if not flat:
        assert total is not None
        direction = 1.0 if total > 0 else -1.0
        parts = [
            Contribution(p.segment, p.before, p.now, p.delta, None if p.delta is None else p.delta / total)
            for p in parts
        ]
        parts.sort(key=lambda p: (p.delta is None, -(p.delta or 0.0) * direction, _key(p.segment)))
    else:
        parts.sort(key=lambda p: (p.delta is None, -abs(p.delta or 0.0), _key(p.segment)))
    return Split(method, None if total is None else (0.0 if flat else total), tuple(parts))


def additive(before: Values, now: Values) -> Split:
    """The change of a metric whose segments add up to its total (a sum, a count), by segment:
    ``delta_i = now_i - before_i`` (a segment missing from a window is 0 there), ``share_i = delta_i / sum(delta)``."""
    parts = []
    for segment in _segments(before, now):
        b, n = _num(before, segment), _num(now, segment)
        parts.append(Contribution(segment, b, n, n - b, None))
    return _ordered("additive", sum(p.delta or 0.0 for p in parts), parts)


def ratio(
    numerator_before: Values, denominator_before: Values, numerator_now: Values, denominator_now: Values
) -> Split | None:
    """The change of a ratio ``r = N / D`` of two additive metrics, split exactly by segment:
    ``c_i = (dN_i - r0 * dD_i) / D1``, which add up to ``r1 - r0``. None when either window's
    denominator is 0 (no ratio to compare)."""
    segments = _segments(numerator_before, denominator_before, numerator_now, denominator_now)
    n0 = sum(_num(numerator_before, s) for s in segments)
    d0 = sum(_num(denominator_before, s) for s in segments)
    d1 = sum(_num(denominator_now, s) for s in segments)
    if d0 == 0 or d1 == 0:
        return None
    r0 = n0 / d0
    parts = []
    for s in segments:
        nb, db = _num(numerator_before, s), _num(denominator_before, s)
        nn, dn = _num(numerator_now, s), _num(denominator_now, s)
        delta = ((nn - nb) - r0 * (dn - db)) / d1
        parts.append(Contribution(s, nb / db if db else None, nn / dn if dn else None, delta, None))
    return _ordered("ratio", sum(p.delta or 0.0 for p in parts), parts)


def non_additive(before: Values, now: Values, *, zero_when_empty: bool) -> Split:
    """Each segment's own change, largest first, with no shares: the segments of a distinct count,
    a median or an average do not add up to the total. A segment missing from a window is 0 there
    when the metric's empty value is 0 (``zero_when_empty``: a distinct count), else its change is unknown."""
    parts = []
    for segment in _segments(before, now):
        b, n = before.get(segment), now.get(segment)
        if zero_when_empty:
            b, n = _num(before, segment), _num(now, segment)
        delta = None if b is None or n is None else float(n) - float(b)
        parts.append(Contribution(segment, b, n, delta, None))
    return _ordered("non_additive", None, parts)


def informative(*maps: Values) -> bool:
    """Whether a dimension can tell anything about a change: at least two of its segments have a
    value other than 0 in any of ``maps`` (its values in both windows; for a ratio, the numerator's
    and the denominator's), one of them a value of the dimension (not only the rows without one).

    A metric that filters on the dimension (``order_status = 'completed'``) leaves one segment with
    a value: it made 100% of the change, which says nothing.
    """
    valued = {k for values in maps for k, v in values.items() if v}
    return len(valued) >= 2 and any(k is not None for k in valued)


def negligible(before: float, now: float, *, rate: bool = False) -> bool:
    """Whether the change from ``before`` to ``now`` is too small to tell: 0, or smaller than
    :data:`NEGLIGIBLE` of ``before``. For a ``rate`` (a metric shown in percent) also smaller than
    :data:`NEGLIGIBLE` of what remains to 100%: an uptime falling from 99.968% to 99.924% moved
    0.04% of its value, but its downtime more than doubled (0.032% to 0.076%)."""
    if now == before:
        return True
    scale = min(abs(before), abs(1 - before)) if rate else abs(before)
    return abs(now - before) < NEGLIGIBLE * scale

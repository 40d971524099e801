"""Resolve metric names into a graph of computation nodes.

Leaves are aggregations of one dataset's rows; every other node combines
leaves after they are aggregated (ratio, derived, offset) or works on a
daily series (cumulative). Nodes are frozen, so one leaf used by several
metrics is computed once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from onpace.calendar import UNIT_MONTHS, most_days
from onpace.catalog import models as m
from onpace.catalog.dimref import dimension_of
from onpace.catalog.expr import ExpressionError, names, parse
from onpace.catalog.project import Project
from onpace.errors import QueryError, did_you_mean


@dataclass(frozen=True)
class Leaf:
    """An aggregation over the rows of one dataset."""

    dataset: str
    time: str
    agg: m.Agg
    expr: str | None
    filters: tuple[str, ...]
    percentile: float | None = None
    # ``empty_periods: null`` on a sum or count: null (not 0) where no row passes the filters
    null_when_empty: bool = False

    @property
    def is_count(self) -> bool:
        return self.agg in (m.Agg.count, m.Agg.count_distinct)

    @property
    def zero_when_empty(self) -> bool:
        return self.agg in m.ZERO_WHEN_EMPTY and not self.null_when_empty


@dataclass(frozen=True)
class Semi:
    """A semi-additive balance: last/first/avg over time, summed over the rest.

    ``per``: the dimensions naming the entity whose own snapshots are taken (empty: the
    period's snapshots over all rows). ``carry``: with ``per``, a day is the level as of the
    day (each entity's latest snapshot carried forward), else only the day's snapshots.
    """

    dataset: str
    time: str
    expr: str
    filters: tuple[str, ...]
    over_time: str
    per: tuple[str, ...] = ()
    carry: bool = True


@dataclass(frozen=True)
class Cumulative:
    leaf: Leaf
    window_days: int | None  # trailing window in days or weeks, as days (None: not such a window)
    window: tuple[int, str] | None  # the window as written: (28, 'day')
    to_date: m.Grain | None
    # ``empty_periods: null``: null (not 0) where the window holds no row of the leaf
    null_when_empty: bool = False
    # ``period_agg``: above day grain, a period's value is the window's as of its last day or first
    period_agg: str = "last"

    @property
    def months(self) -> int | None:
        """A trailing window in calendar months (a quarter is 3, a year 12); None otherwise."""
        if self.window is None or self.window[1] not in UNIT_MONTHS:
            return None
        return self.window[0] * UNIT_MONTHS[self.window[1]]

    @property
    def distinct(self) -> bool:
        """A running count of distinct values: read from the rows, never from daily counts."""
        return self.leaf.agg == m.Agg.count_distinct


# what a cumulative metric accumulates
CUMULABLE = (m.Agg.sum, m.Agg.count, m.Agg.count_distinct)


@dataclass(frozen=True)
class Ratio:
    numerator: Node
    denominator: Node


@dataclass(frozen=True)
class Derived:
    expr: str
    inputs: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Offset:
    node: Node
    count: int
    unit: str  # 'period', a calendar unit, or 'start_of_<grain>' (count 0)

    @property
    def start_of(self) -> m.Grain | None:
        """``start of month``: the grain whose first day each period reads; None for a span."""
        return m.Grain(self.unit.removeprefix(m.START_OF)) if self.unit.startswith(m.START_OF) else None


@dataclass(frozen=True)
class Conversion:
    """Conversions: events of ``conversion`` attributed to the latest ``base`` event of the same entity
    (:mod:`onpace.engine.conversion`), aggregated by the base events' periods and dimensions."""

    base: Leaf
    conversion: Leaf
    entity: str
    window: tuple[int, str] | None

    @property
    def reach_days(self) -> int | None:
        """The most days after a base event that a conversion counts for it (None: no window, any day)."""
        return None if self.window is None else most_days(*self.window)


def later_days(root: Node) -> int | None:
    """How many days after a period new rows can still change its value (a conversion's window);
    None: any number (a conversion without a window). 0 for every other metric."""
    most = 0
    for node in walk([root]):
        if isinstance(node, Conversion):
            if node.reach_days is None:
                return None
            most = max(most, node.reach_days)
    return most


Node = Leaf | Semi | Cumulative | Conversion | Ratio | Derived | Offset


def children(node: Node) -> list[Node]:
    if isinstance(node, Ratio):
        return [node.numerator, node.denominator]
    if isinstance(node, Derived):
        return [n for _, n in node.inputs]
    if isinstance(node, Offset):
        return [node.node]
    if isinstance(node, Cumulative):
        return [node.leaf]
    return []


def walk(roots: list[Node]) -> list[Node]:
    """Every node reachable from ``roots``, children before parents, each once."""
    order: list[Node] = []
    seen: set[Node] = set()

    def visit(node: Node) -> None:
        if node in seen:
            return
        for child in children(node):
            visit(child)
        seen.add(node)
        order.append(node)

    for root in roots:
        visit(root)
    return order


def describe(node: Node) -> dict[str, Any]:
    """The plan rooted at ``node`` as plain JSON data: its kind, and every field of every node by name.

    A stored series' fingerprint is a hash of it (``onpace.services.refresh.fingerprint``), so it
    is written out field by field rather than taken from ``repr()``: renaming a class or
    changing how a dataclass prints does not change it, and a new field of a node is
    part of it (``tests/engine/test_plan_fingerprint.py`` checks that every field is).
    """
    if isinstance(node, Leaf):
        return {
            "kind": "leaf",
            "dataset": node.dataset,
            "time": node.time,
            "agg": node.agg.value,
            "expr": node.expr,
            "filters": list(node.filters),
            "percentile": node.percentile,
            "null_when_empty": node.null_when_empty,
        }
    if isinstance(node, Semi):
        return {
            "kind": "semi",
            "dataset": node.dataset,
            "time": node.time,
            "expr": node.expr,
            "filters": list(node.filters),
            "over_time": node.over_time,
            "per": list(node.per),
            "carry": node.carry,
        }
    if isinstance(node, Cumulative):
        return {
            "kind": "cumulative",
            "leaf": describe(node.leaf),
            "window_days": node.window_days,
            "window": list(node.window) if node.window is not None else None,
            "to_date": node.to_date.value if node.to_date is not None else None,
            "null_when_empty": node.null_when_empty,
            "period_agg": node.period_agg,
        }
    if isinstance(node, Conversion):
        return {
            "kind": "conversion",
            "base": describe(node.base),
            "conversion": describe(node.conversion),
            "entity": node.entity,
            "window": list(node.window) if node.window is not None else None,
        }
    if isinstance(node, Ratio):
        return {"kind": "ratio", "numerator": describe(node.numerator), "denominator": describe(node.denominator)}
    if isinstance(node, Derived):
        return {"kind": "derived", "expr": node.expr, "inputs": [[ref, describe(n)] for ref, n in node.inputs]}
    return {"kind": "offset", "node": describe(node.node), "count": node.count, "unit": node.unit}


def is_integer(node: Node) -> bool:
    if isinstance(node, Leaf):
        return node.is_count
    if isinstance(node, Cumulative):
        return node.leaf.is_count
    if isinstance(node, Conversion):
        return node.conversion.is_count
    if isinstance(node, Offset):
        return is_integer(node.node)
    return False


class Planner:
    def __init__(self, project: Project) -> None:
        self.project = project

    def resolve(self, name: str, extra: tuple[str, ...] = (), stack: tuple[str, ...] = ()) -> Node:
        metric = self.project.metrics.get(name)
        if metric is None:
            raise QueryError(f"unknown metric '{name}'", suggestion=did_you_mean(name, self.project.metrics))
        if name in stack:
            raise QueryError("cycle between metrics: " + " -> ".join([*stack, name]))
        stack = (*stack, name)
        if isinstance(metric, m.ManualMetric):
            raise QueryError(
                f"metric '{name}' is entered by hand (type manual): its values live in the store, not in a data "
                "source (load them with 'onpace values import')"
            )
        if isinstance(metric, m.SimpleMetric):
            return self._simple(metric, extra)
        if isinstance(metric, m.SemiAdditiveMetric):
            return self._semi(metric, extra)
        if isinstance(metric, m.RatioMetric):
            more = (*extra, metric.filter) if metric.filter else extra
            return Ratio(self.resolve(metric.numerator, more, stack), self.resolve(metric.denominator, more, stack))
        if isinstance(metric, m.CumulativeMetric):
            base = self.resolve(metric.metric, extra, stack)
            if not isinstance(base, Leaf) or base.agg not in CUMULABLE:
                raise QueryError(
                    f"cumulative metric '{name}' needs a simple sum, count or count_distinct metric "
                    f"('{metric.metric}' is not): an average, median, percentile, minimum or maximum "
                    "of a window is not made of the values of its days"
                )
            window = m.parse_span(metric.window, allow_period=False) if metric.window else None
            days = None
            if window is not None and window[1] in ("day", "week"):
                days = window[0] * (7 if window[1] == "week" else 1)
            to_date = m.Grain(metric.grain_to_date) if metric.grain_to_date else None
            # the daily values follow the cumulative's own empty_periods (a day with no row is
            # null in its leaf when the window must tell "no rows" from 0)
            null = metric.empty_periods == "null"
            return Cumulative(replace(base, null_when_empty=null), days, window, to_date, null, metric.period_agg)
        if isinstance(metric, m.ConversionMetric):
            return self._conversion(metric, extra, stack)
        return self._derived(metric, extra, stack)

    def _conversion(self, metric: m.ConversionMetric, extra: tuple[str, ...], stack: tuple[str, ...]) -> Node:
        """Conversions, or their rate: conversions over the base metric. Filters from above (a ratio's,
        a derived input's, a KPI's segment) are on the base events, whose dimensions the query has."""
        base = self.resolve(metric.base, extra, stack)
        conversion = self.resolve(metric.conversion, (), stack)
        for field, node in (("base", base), ("conversion", conversion)):
            if not isinstance(node, Leaf) or node.agg not in CUMULABLE:
                raise QueryError(
                    f"conversion metric '{metric.name}' needs a simple count, sum or count_distinct metric as its "
                    f"{field} ('{getattr(metric, field)}' is not)"
                )
        assert isinstance(base, Leaf) and isinstance(conversion, Leaf)
        window = m.parse_span(metric.window, allow_period=False) if metric.window else None
        node = Conversion(base, conversion, metric.entity, window)
        return node if metric.calculation == "conversions" else Ratio(node, base)

    def _measure(self, metric: m.SimpleMetric | m.SemiAdditiveMetric) -> tuple[m.Dataset, m.Measure | None]:
        if metric.measure is not None:
            found = self.project.find_measure(metric.measure)
            if len(found) != 1:
                raise QueryError(f"metric '{metric.name}': measure '{metric.measure}' is unknown or ambiguous")
            return found[0]
        return self.project.datasets[metric.dataset or ""], None

    def _time(self, metric: m.SimpleMetric | m.SemiAdditiveMetric, ds: m.Dataset) -> str:
        time = metric.time or ds.time
        if time is None:
            raise QueryError(f"metric '{metric.name}' has no time dimension (set 'time' on dataset '{ds.name}')")
        return time

    def _simple(self, metric: m.SimpleMetric, extra: tuple[str, ...]) -> Leaf:
        ds, measure = self._measure(metric)
        filters = tuple(f for f in (measure.filter if measure else None, metric.filter, *extra) if f)
        agg = measure.agg if measure is not None else metric.agg
        assert agg is not None
        try:
            m.check_empty_periods(agg, metric.empty_periods)
        except ValueError as exc:
            raise QueryError(f"metric '{metric.name}': {str(exc).partition('; expected ')[0]}") from None
        # only a sum or a count has a choice: every other aggregation of no rows is null already
        null = metric.empty_periods == "null" and agg in m.ZERO_WHEN_EMPTY
        expr = measure.expr if measure is not None else metric.expr
        if agg == m.Agg.count_distinct and _is_primary_key(ds, expr):
            agg = m.Agg.count  # one row per value: adds up by day (see _is_primary_key)
        percentile = measure.percentile if measure is not None else metric.percentile
        return Leaf(ds.name, self._time(metric, ds), agg, expr, filters, percentile, null)

    def _semi(self, metric: m.SemiAdditiveMetric, extra: tuple[str, ...]) -> Semi:
        ds, measure = self._measure(metric)
        expr = measure.expr if measure else metric.expr
        filters = tuple(f for f in (measure.filter if measure else None, metric.filter, *extra) if f)
        dims = [dim.name for _, dim in self.project.dimensions()]
        for ref in metric.per:
            bare = dimension_of(ref, dims, self.project.key_names())
            if bare not in dims:
                raise QueryError(
                    f"unknown dimension '{ref}' in 'per' of semi-additive metric '{metric.name}'",
                    suggestion=did_you_mean(bare, dims),
                )
        carry = metric.by_day == "level"
        return Semi(ds.name, self._time(metric, ds), expr or "1", filters, metric.over_time, tuple(metric.per), carry)

    def _derived(self, metric: m.DerivedMetric, extra: tuple[str, ...], stack: tuple[str, ...]) -> Derived:
        inputs: dict[str, Node] = {}
        for inp in metric.inputs:
            more = (*extra, inp.filter) if inp.filter else extra
            node = self.resolve(inp.metric, more, stack)
            if inp.offset:
                count, unit = m.parse_offset(inp.offset)
                node = Offset(node, count, unit)
            inputs[inp.ref] = node
        try:
            tree = parse(metric.expr)
        except ExpressionError as exc:
            raise QueryError(f"metric '{metric.name}': {exc}") from None
        for ref in names(tree):
            if ref.text not in inputs:
                inputs[ref.text] = self.resolve(ref.text, extra, stack)
        return Derived(metric.expr, tuple(inputs.items()))


def _is_primary_key(ds: m.Dataset, expr: str | None) -> bool:
    """Whether ``expr`` is the column of the dataset's primary key.

    A primary key has one row per value (``onpace validate`` verifies it, and the joins
    rely on it), and the dataset's rows are never repeated by a join (every join goes to
    a primary key): its distinct count over any rows of the dataset is the count of its
    non-null values. As a count it adds up by day, so a refresh keeps it by day
    (engine/days.py) instead of reading the rows of every period again.
    """
    if expr is None:
        return False
    text = expr.strip()
    return any(key.primary and key.expr is None and text == (key.column or key.name) for key in ds.keys)

"""What kind of number a KPI's metric is, and the bounds its values cannot leave: what the forecast must respect.

- **flow**: a sum or a count over the period (revenue, orders), or a flow over a level
  (leavers per head: turnover, churn): the period ends at the actual to date plus the
  remaining days;
- **count_distinct**: a distinct count over the period (active customers): a flow whose
  days overlap;
- **level**: a value at a point in time (members, headcount, a balance: a
  ``semi_additive`` metric taken ``last`` or ``first``, a ``manual`` metric taken ``last``, a
  running total): the period ends at the level of its last day;
- **ratio**: a rate or an average over the period (conversion rate, margin, average
  order value, an average balance): the period ends at the average of its days.

The kind is the KPI's ``accumulation`` when set, else the metric's :func:`behaviour` (a
derived metric follows its expression). Bounds come from the definitions: a count is never
below 0, nor a ratio of counts, nor a duration; a share (a ratio or an average shown as a
percent, or a count of a subset of what its denominator counts) stays within [0, 1]. A
derived metric has no bounds (a growth or a margin can leave [0, 1]).
``docs/kpi-evaluation.md`` ("Forecasts") states the rules.
"""

from __future__ import annotations

from typing import Literal

from onpace.catalog import expr
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.project import Project

Kind = Literal["flow", "level", "ratio", "count_distinct"]
Behaviour = Literal["flow", "level", "ratio", "constant"]
KINDS: tuple[Kind, ...] = ("flow", "level", "ratio", "count_distinct")
Bounds = tuple[float | None, float | None]
NO_BOUNDS: Bounds = (None, None)

_COUNTS = (m.Agg.count, m.Agg.count_distinct)
_AVERAGES = (m.Agg.avg, m.Agg.median, m.Agg.percentile, m.Agg.min, m.Agg.max)


def _simple(project: Project, metric: m.Metric) -> tuple[str | None, m.Agg | None, str | None, tuple[str, ...]]:
    """A simple metric's (dataset, agg, expr, filters), from its measure when it names one; Nones otherwise."""
    if not isinstance(metric, m.SimpleMetric):
        return None, None, None, ()
    own = (metric.filter,) if metric.filter else ()
    if metric.measure is None:
        return metric.dataset, metric.agg, metric.expr, own
    found = project.find_measure(metric.measure)
    if len(found) != 1:
        return None, None, None, own
    dataset, measure = found[0]
    return dataset.name, measure.agg, measure.expr, own + ((measure.filter,) if measure.filter else ())


def _divide(top: Behaviour, bottom: Behaviour) -> Behaviour:
    """What a quotient does over time: a flow over a level or a rate is a flow (leavers per head grow
    with the period: turnover, churn); a flow over a flow is a ratio (conversion, margin)."""
    if bottom == "constant":
        return top
    if top == "flow":
        return "ratio" if bottom == "flow" else "flow"
    if top == "level" and bottom == "level":
        return "level"
    return "ratio"


def _combine(op: str, left: Behaviour, right: Behaviour) -> Behaviour:
    if op == "/":
        return _divide(left, right)
    if left == "constant" or right == "constant":
        return right if left == "constant" else left
    if op in ("+", "-") and left == right:
        return left
    return "ratio"


def _expression(node: expr.Node, inputs: dict[str, Behaviour]) -> Behaviour:
    if isinstance(node, expr.Name):
        return inputs.get(node.text, "ratio")
    if isinstance(node, expr.Literal):
        return "constant"
    if isinstance(node, expr.Neg):
        return _expression(node.operand, inputs)
    if isinstance(node, expr.BinOp):
        return _combine(node.op, _expression(node.left, inputs), _expression(node.right, inputs))
    return "ratio"


def behaviour(project: Project, name: str, depth: int = 0) -> Behaviour:
    """How the metric's value over a period relates to its days: a flow adds them up, a level is the
    last (or first) one, a ratio is their average; a derived metric follows its expression."""
    metric = project.metrics.get(name)
    if metric is None or depth > 20:
        return "ratio"
    if isinstance(metric, m.SimpleMetric):
        return "flow" if _simple(project, metric)[1] in (m.Agg.sum, *_COUNTS) else "ratio"
    if isinstance(metric, m.RatioMetric):
        return _divide(
            behaviour(project, metric.numerator, depth + 1), behaviour(project, metric.denominator, depth + 1)
        )
    if isinstance(metric, m.DerivedMetric):
        inputs = {(i.alias or i.metric): behaviour(project, i.metric, depth + 1) for i in metric.inputs}
        try:
            return _expression(expr.parse(metric.expr), inputs)
        except expr.ExpressionError:
            return "ratio"
    if isinstance(metric, m.CumulativeMetric):
        return "level"
    if isinstance(metric, m.ConversionMetric):  # conversions add up over periods; a rate does not
        return "flow" if metric.calculation == "conversions" else "ratio"
    over_time: dict[str, Behaviour] = {"sum": "flow", "last": "level", "first": "level"}
    return over_time.get(metric.over_time, "ratio")  # semi-additive or manual


def kind_of(project: Project, kpi: g.Kpi) -> Kind:
    """The kind of the KPI's number: flow, count_distinct, level or ratio (see the module's doc).

    The KPI's ``accumulation`` wins when it is set; else the metric's :func:`behaviour`.
    """
    metric = project.metrics[kpi.metric or ""]
    found = behaviour(project, metric.name)
    flow = kpi.accumulation == "flow" or (kpi.accumulation is None and found == "flow")
    if flow:
        return "count_distinct" if _simple(project, metric)[1] == m.Agg.count_distinct else "flow"
    return "level" if found == "level" else "ratio"


def non_negative(project: Project, name: str, depth: int = 0) -> bool:
    """Whether the metric's values are never below 0: a count, a ratio of two such, a running total of one."""
    metric = project.metrics.get(name)
    if metric is None or depth > 10:
        return False
    if isinstance(metric, m.SimpleMetric):
        return _simple(project, metric)[1] in _COUNTS
    if isinstance(metric, m.RatioMetric):
        return non_negative(project, metric.numerator, depth + 1) and non_negative(
            project, metric.denominator, depth + 1
        )
    if isinstance(metric, m.CumulativeMetric):
        return non_negative(project, metric.metric, depth + 1)
    if isinstance(metric, m.ConversionMetric):
        return non_negative(project, metric.conversion, depth + 1) and non_negative(project, metric.base, depth + 1)
    return False


def _subset_count(project: Project, metric: m.RatioMetric) -> bool:
    """A count of part of what the denominator counts: same dataset, agg and expr, and more filters."""
    top, bottom = project.metrics.get(metric.numerator), project.metrics.get(metric.denominator)
    if top is None or bottom is None:
        return False
    t_dataset, t_agg, t_expr, t_filters = _simple(project, top)
    b_dataset, b_agg, b_expr, b_filters = _simple(project, bottom)
    return (
        t_dataset is not None
        and (t_dataset, t_agg, t_expr) == (b_dataset, b_agg, b_expr)
        and t_agg in _COUNTS
        and set(b_filters) < set(t_filters)
    )


def is_share(project: Project, metric: m.Metric) -> bool:
    """Whether the metric is a share, within [0, 1]: a ratio or an average shown as a percent, or a subset count."""
    percent = metric.format.kind == "percent"
    if isinstance(metric, m.RatioMetric):
        return percent or _subset_count(project, metric)
    if isinstance(metric, m.SimpleMetric):
        return percent and _simple(project, metric)[1] in _AVERAGES
    return False


def bounds_of(project: Project, kpi: g.Kpi) -> Bounds:
    """The bounds of one value of the KPI's metric (a day's, or the period's for a level or a ratio).

    ``(0, 1)`` for a share, ``(0, None)`` for a metric that is never negative (or a duration), else none.
    """
    metric = project.metrics[kpi.metric or ""]
    if is_share(project, metric):
        return (0.0, 1.0)
    if non_negative(project, metric.name) or metric.format.kind == "duration":
        return (0.0, None)
    return NO_BOUNDS

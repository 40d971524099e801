"""What a metric is made of: the metrics it is computed from, and the datasets whose rows it reads.

The one walk from a metric to its datasets, for everything that asks "which datasets
(and which of their time dimensions) does this metric read": the engine (the source
a query runs on, the days a segment has data), refresh (which metrics can share a
query) and the metric pages (the dimensions a metric can be broken down by).

It reads the definitions only. A reference the definitions' checks refuse (an
unknown or ambiguous measure, a dataset without a time dimension) leads nowhere
here: the checks report it when the project loads, and the engine's planner when
a query needs it. A metric entered by hand reads no dataset.
"""

from __future__ import annotations

from collections.abc import Callable

from onpace.catalog import models as m
from onpace.catalog.expr import ExpressionError, names, parse
from onpace.catalog.loaded import MetricDef, Project
from onpace.errors import QueryError, did_you_mean


def metric_refs(metric: MetricDef) -> list[tuple[str, str]]:
    """(field, metric name) pairs a metric is computed from, in the order they are written."""
    if isinstance(metric, m.RatioMetric):
        return [("numerator", metric.numerator), ("denominator", metric.denominator)]
    if isinstance(metric, m.CumulativeMetric):
        return [("metric", metric.metric)]
    if isinstance(metric, m.ConversionMetric):
        return [("base", metric.base), ("conversion", metric.conversion)]
    if isinstance(metric, m.DerivedMetric):
        refs = [(f"inputs.{i}", inp.metric) for i, inp in enumerate(metric.inputs)]
        aliases = {inp.ref for inp in metric.inputs}
        try:
            tree = parse(metric.expr)
        except ExpressionError:
            return refs
        refs += [("expr", n.text) for n in names(tree) if n.text not in aliases]
        return refs
    return []


def dependencies(metric: MetricDef) -> list[str]:
    """The names of the metrics ``metric`` is computed from (its inputs; none for a simple metric)."""
    return [name for _, name in metric_refs(metric)]


def scans(project: Project, metric: str) -> list[tuple[str, str]]:
    """The (dataset, time dimension) pairs whose rows ``metric`` reads, through every metric it uses; sorted.

    QueryError (with a "did you mean") for a metric the project does not define.
    """
    return _scans(project, metric, dependencies)


def _grouping_refs(metric: MetricDef) -> list[str]:
    """The metrics whose rows give ``metric``'s dimensions: a conversion metric's are its base events'."""
    return [metric.base] if isinstance(metric, m.ConversionMetric) else dependencies(metric)


def _scans(project: Project, metric: str, refs: Callable[[MetricDef], list[str]]) -> list[tuple[str, str]]:
    if metric not in project.metrics:
        raise QueryError(f"unknown metric '{metric}'", suggestion=did_you_mean(metric, project.metrics))
    pairs: set[tuple[str, str]] = set()
    seen: set[str] = set()
    todo = [metric]
    while todo:
        name = todo.pop()
        if name in seen:
            continue  # read once; a cycle between metrics is the checks' to report
        seen.add(name)
        found = project.metrics.get(name)
        if found is None:
            continue
        if isinstance(found, (m.SimpleMetric, m.SemiAdditiveMetric)):
            pair = _scan(project, found)
            if pair is not None:
                pairs.add(pair)
        todo += refs(found)
    return sorted(pairs)


def datasets_read(project: Project, metric: str) -> list[str]:
    """The datasets whose rows ``metric`` reads, sorted (see :func:`scans`)."""
    return sorted({dataset for dataset, _ in scans(project, metric)})


def grouping_datasets(project: Project, metric: str) -> list[str]:
    """The datasets whose dimensions break ``metric`` down, sorted: those it reads, but of a
    conversion metric those of its base events only (its conversions go by the base events')."""
    return sorted({dataset for dataset, _ in _scans(project, metric, _grouping_refs)})


def time_dimensions(project: Project, metric: str) -> frozenset[str]:
    """The time dimensions ``metric``'s values are computed over (see :func:`scans`)."""
    return frozenset(time for _, time in scans(project, metric))


def _scan(project: Project, metric: m.SimpleMetric | m.SemiAdditiveMetric) -> tuple[str, str] | None:
    """The dataset a simple or semi-additive metric aggregates, and the time dimension it uses."""
    dataset: m.Dataset | None = None
    if metric.measure is not None:
        found = project.find_measure(metric.measure)
        dataset = found[0][0] if len(found) == 1 else None
    else:
        dataset = project.datasets.get(metric.dataset or "")
    if dataset is None:
        return None
    time = metric.time or dataset.time
    return (dataset.name, time) if time is not None else None

"""What a project needs computed: the series of metric values refresh keeps, and the KPI instances.

A *series* is one metric at one grain, over the whole metric or one segment
(a filter on dimensions, kept as its canonical text). Refresh computes:

- every metric computed from data, at its ``default_grain`` (month when none),
  for the catalog and the charts;
- for every KPI instance, its metric (restricted to the instance's segment) by
  day, for the actual to date, the seasonal shape and the forecast, and at the
  timeframe's grain, for level KPIs and past periods.

A KPI with ``segment_by`` is one instance per segment value it has targets for.
"""

from __future__ import annotations

from dataclasses import dataclass

from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.periods import parse_period
from onpace.catalog.project import Project

DEFAULT_GRAIN = m.Grain.month


@dataclass(frozen=True, order=True)
class SeriesSpec:
    metric: str
    grain: m.Grain
    segment: str  # canonical filter text; '' is the whole metric


@dataclass(frozen=True)
class KpiInstance:
    """One KPI, or one segment of a KPI with per-segment targets."""

    kpi: g.Kpi
    segment_value: str | None  # the segment_by value, or None
    filter: str  # canonical filter text ('' for the whole metric)
    targets: tuple[g.Target, ...]

    @property
    def key(self) -> str:
        """The segment as stored with evaluations: '' for the whole KPI, else the segment_by value."""
        return self.segment_value or ""


def canonical(filter_text: str | None) -> str:
    """One spelling of a filter per meaning of whitespace: 'a  =  1' and 'a = 1' are one segment."""
    if not filter_text:
        return ""
    out: list[str] = []
    quoted = False
    previous_space = False
    for char in filter_text.strip():
        if char == "'":
            quoted = not quoted
        if not quoted and char.isspace():
            if not previous_space:
                out.append(" ")
            previous_space = True
            continue
        previous_space = False
        out.append(char)
    return "".join(out)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def kpi_instances(project: Project) -> list[KpiInstance]:
    out: list[KpiInstance] = []
    for kpi in project.kpis.values():
        targets = tuple(kpi.all_targets)
        if kpi.segment_by is None:
            out.append(KpiInstance(kpi, None, canonical(kpi.segment), targets))
            continue
        values = sorted({t.segment for t in targets if t.segment is not None})
        for value in values:
            condition = f"{kpi.segment_by} = {_quote(value)}"
            text = f"({kpi.segment}) and {condition}" if kpi.segment else condition
            mine = tuple(t for t in targets if t.segment == value)
            out.append(KpiInstance(kpi, value, canonical(text), mine))
    return out


def timeframe_grain(project: Project, kpi: g.Kpi) -> m.Grain:
    assert kpi.timeframe is not None  # a KPI without one does not load
    if kpi.timeframe.every is not None:
        return m.Grain(kpi.timeframe.every)
    assert kpi.timeframe.period is not None
    return parse_period(kpi.timeframe.period, project.calendar)[1]


def is_computed(project: Project, metric: str) -> bool:
    return not isinstance(project.metrics.get(metric), m.ManualMetric)


def series_needed(project: Project, metrics: list[str] | None = None) -> list[SeriesSpec]:
    """Every series a refresh computes (only those of ``metrics`` when given), sorted."""
    wanted: set[SeriesSpec] = set()
    for name, metric in project.metrics.items():
        if is_computed(project, name):
            wanted.add(SeriesSpec(name, metric.default_grain or DEFAULT_GRAIN, ""))
    for instance in kpi_instances(project):
        metric_name = instance.kpi.metric
        assert metric_name is not None
        if not is_computed(project, metric_name):
            continue
        wanted.add(SeriesSpec(metric_name, m.Grain.day, instance.filter))
        wanted.add(SeriesSpec(metric_name, timeframe_grain(project, instance.kpi), instance.filter))
    if metrics is not None:
        wanted = {spec for spec in wanted if spec.metric in metrics}
    return sorted(wanted)


def _agg(project: Project, metric: m.SimpleMetric) -> m.Agg | None:
    if metric.agg is not None:
        return metric.agg
    found = project.find_measure(metric.measure or "")
    return found[0][1].agg if len(found) == 1 else None


def accumulation(project: Project, kpi: g.Kpi) -> str:
    """flow when the metric grows through a period (sum, count, count distinct, manual sum), else level."""
    if kpi.accumulation is not None:
        return kpi.accumulation
    metric = project.metrics[kpi.metric or ""]
    if isinstance(metric, m.ManualMetric):
        return "flow" if metric.over_time == "sum" else "level"
    if isinstance(metric, m.SimpleMetric):
        return "flow" if _agg(project, metric) in (m.Agg.sum, m.Agg.count, m.Agg.count_distinct) else "level"
    return "level"


def additive(project: Project, metric_name: str) -> bool:
    """Whether a period's value is the sum of its days' values (sum and count; not count distinct)."""
    metric = project.metrics[metric_name]
    if isinstance(metric, m.ManualMetric):
        return metric.over_time == "sum"
    return isinstance(metric, m.SimpleMetric) and _agg(project, metric) in (m.Agg.sum, m.Agg.count)


def direction(project: Project, kpi: g.Kpi) -> m.Direction:
    return kpi.direction or project.metrics[kpi.metric or ""].direction

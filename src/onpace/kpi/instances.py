"""What a KPI definition means for its evaluation: its instances, grain, accumulation and direction.

A KPI with ``segment_by`` is one instance per segment value it has targets
for; the others are one instance each. Every rule here reads the definitions
only (no stored value), so refresh, evaluation, lint and the charts agree on
them.
"""

from __future__ import annotations

from dataclasses import dataclass

from onpace import calendar as cal
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.kpi.types import Accumulation, Direction


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

    @property
    def name(self) -> str:
        """The KPI's name, with the segment in brackets for one segment: ``revenue [NORTH]``."""
        return self.kpi.name + (f" [{self.segment_value}]" if self.segment_value else "")


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
    """Every KPI instance of the project: a KPI with ``segment_by``, one per segment value with targets."""
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
    """The grain of the KPI's periods: ``every``, or the grain of its one period (``2025-Q3``: quarter)."""
    assert kpi.timeframe is not None  # a KPI without one does not load
    if kpi.timeframe.every is not None:
        return m.Grain(kpi.timeframe.every)
    assert kpi.timeframe.period is not None
    return cal.parse_period(kpi.timeframe.period, project.calendar)[1]


def is_computed(project: Project, metric: str) -> bool:
    """Whether the metric is computed from data (refresh computes it), not entered by hand."""
    return not isinstance(project.metrics.get(metric), m.ManualMetric)


def _agg(project: Project, metric: m.SimpleMetric) -> m.Agg | None:
    if metric.agg is not None:
        return metric.agg
    found = project.find_measure(metric.measure or "")
    return found[0][1].agg if len(found) == 1 else None


def accumulation(project: Project, kpi: g.Kpi) -> Accumulation:
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


def direction(project: Project, kpi: g.Kpi) -> Direction:
    """Which way is better: the KPI's ``direction``, else its metric's."""
    chosen = kpi.direction or project.metrics[kpi.metric or ""].direction
    return "higher" if chosen == m.Direction.higher else "lower"

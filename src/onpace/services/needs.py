"""What a project needs computed: the series of metric values refresh keeps.

A *series* is one metric at one grain, over the whole metric or one segment
(a filter on dimensions, kept as its canonical text). Refresh computes:

- every metric computed from data, at its ``default_grain`` (month when none),
  for the catalog and the charts;
- for every KPI instance, its metric (restricted to the instance's segment) by
  day, for the actual to date, the seasonal shape and the forecast, and at the
  timeframe's grain, for level KPIs and past periods.

A KPI with ``segment_by`` is one instance per segment value it has targets for
(:func:`onpace.kpi.instances.kpi_instances`).
"""

from __future__ import annotations

from dataclasses import dataclass

from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.kpi.instances import is_computed, kpi_instances, timeframe_grain
from onpace.kpi.series import stored_grains

DEFAULT_GRAIN = m.Grain.month


@dataclass(frozen=True, order=True)
class SeriesSpec:
    metric: str
    grain: m.Grain
    segment: str  # canonical filter text; '' is the whole metric


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
            continue  # entered by hand: its values are stored as entered
        # the series the KPI's evaluation reads: by day and at the timeframe's grain
        for grain in stored_grains(project.metrics[metric_name], timeframe_grain(project, instance.kpi)):
            wanted.add(SeriesSpec(metric_name, grain, instance.filter))
    if metrics is not None:
        wanted = {spec for spec in wanted if spec.metric in metrics}
    return sorted(wanted)

"""Business names: the label a person reads for each name the definitions use.

The pages show a KPI, an objective, a metric or a dimension by its label (or its name in
words when it has none), and a metric's type in words, never the identifiers of the YAML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onpace.services.views.base import View

if TYPE_CHECKING:
    from onpace.catalog.project import Project

METRIC_TYPES = {
    "simple": "Measure of a dataset",
    "ratio": "Ratio of two metrics",
    "derived": "Formula over metrics",
    "cumulative": "Running total over a window",
    "conversion": "Events followed by another event of the same entity",
    "semi_additive": "Balance or level (not summed over time)",
    "manual": "Entered by hand",
}
"""A metric's ``type`` in words."""


def in_words(name: str) -> str:
    """An identifier as words: ``acquisition_channel`` → "Acquisition channel"."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def metric_type(kind: str) -> str:
    return METRIC_TYPES.get(kind, in_words(kind))


class Names(View):
    """The labels of the project's KPIs, objectives, metrics and dimensions, by name."""

    kpis: dict[str, str]
    objectives: dict[str, str]
    metrics: dict[str, str]
    dimensions: dict[str, str]

    def kpi(self, name: str | None) -> str:
        return self.kpis.get(name or "", name or "–")

    def objective(self, name: str | None) -> str:
        return self.objectives.get(name or "", name or "–")

    def metric(self, name: str | None) -> str:
        return self.metrics.get(name or "", name or "–")

    def dimension(self, name: str | None) -> str:
        return self.dimensions.get(name or "", in_words(name or "–"))

    @classmethod
    def of(cls, project: Project) -> Names:
        dimensions: dict[str, str] = {}
        for _, dim in project.dimensions():
            if dim.label or dim.name not in dimensions:
                dimensions[dim.name] = dim.label or in_words(dim.name)
        return cls(
            kpis={name: k.label or in_words(name) for name, k in project.kpis.items()},
            objectives={name: o.label or in_words(name) for name, o in project.objectives.items()},
            metrics={name: x.label or in_words(name) for name, x in project.metrics.items()},
            dimensions=dimensions,
        )

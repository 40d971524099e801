"""A loaded project: the definitions of onpace.yml and of every model file, and lookups in them.

What :func:`onpace.catalog.project.load_project` returns. It lives apart from the
loader so that the checks the loader runs (:mod:`onpace.catalog.validate`) can take
a project without importing the loader back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onpace.catalog import goals
from onpace.catalog import models as m
from onpace.catalog.alerts import AlertRule
from onpace.catalog.reports import Report
from onpace.catalog.yamlpos import PathKey, format_path, line_of
from onpace.errors import DefinitionError, Issue

DEFAULT_SOURCE = "warehouse"
DEFAULT_SOURCE_URL = "duckdb:///data/warehouse.duckdb"

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

MetricDef = (
    m.SimpleMetric
    | m.RatioMetric
    | m.DerivedMetric
    | m.CumulativeMetric
    | m.ConversionMetric
    | m.SemiAdditiveMetric
    | m.ManualMetric
)


@dataclass
class Project:
    root: Path
    config: m.ProjectConfig
    datasets: dict[str, m.Dataset] = field(default_factory=dict)
    metrics: dict[str, MetricDef] = field(default_factory=dict)
    objectives: dict[str, goals.Objective] = field(default_factory=dict)
    kpis: dict[str, goals.Kpi] = field(default_factory=dict)
    alerts: dict[str, AlertRule] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    positions: dict[str, dict[PathKey, int]] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    # -- where things are -------------------------------------------------
    def issue(self, obj: m.Model, message: str, *fields: str | int, **extra: Any) -> Issue:
        """An issue located at ``obj`` (or one of its fields)."""
        file = obj._file
        path = (*obj._path, *fields)
        line = line_of(self.positions.get(file or "", {}), path) if file else None
        return Issue(message, file=file, line=line, path=format_path(path), **extra)

    # -- lookups ------------------------------------------------------------
    @property
    def calendar(self) -> m.Calendar:
        return self.config.calendar

    @property
    def sources(self) -> dict[str, m.Source]:
        if self.config.sources:
            return dict(self.config.sources)
        return {DEFAULT_SOURCE: m.Source(url=DEFAULT_SOURCE_URL)}

    @property
    def default_source(self) -> str:
        if self.config.default_source:
            return self.config.default_source
        return next(iter(self.sources))

    def source_of(self, dataset: m.Dataset) -> str:
        return dataset.source or self.default_source

    def source_url(self, name: str) -> str:
        """The source's URL with ${VAR} replaced from the environment."""
        url, missing = interpolate(self.sources[name].url, self.env)
        if missing:
            raise DefinitionError(
                [self.issue(self.sources[name], f"environment variable {missing[0]} is not set", "url")]
            )
        return url

    def dimensions(self) -> Iterator[tuple[m.Dataset, m.Dimension]]:
        for ds in self.datasets.values():
            for dim in ds.dimensions:
                yield ds, dim

    def key_names(self) -> set[str]:
        """The names of every dataset's keys (the entities)."""
        return {key.name for ds in self.datasets.values() for key in ds.keys}

    def find_dimension(self, name: str) -> tuple[m.Dataset, m.Dimension] | None:
        for ds, dim in self.dimensions():
            if dim.name == name:
                return ds, dim
        return None

    def find_measure(self, ref: str) -> list[tuple[m.Dataset, m.Measure]]:
        """Measures matching 'dataset.measure' or a bare measure name."""
        if "." in ref:
            ds_name, _, name = ref.partition(".")
            ds = self.datasets.get(ds_name)
            return [(ds, x) for x in ds.measures if x.name == name] if ds else []
        return [(ds, x) for ds in self.datasets.values() for x in ds.measures if x.name == ref]


def interpolate(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace ${VAR} and ${VAR:-default}; return the text and the missing names."""
    missing: list[str] = []

    def repl(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    return _ENV.sub(repl, text), missing

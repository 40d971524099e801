"""The shape of one definition file under models/: datasets, metrics, objectives, KPIs, alert rules, reports, people."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from onpace.catalog.alerts import AlertRule
from onpace.catalog.channels import NamedPerson
from onpace.catalog.goals import Kpi, Objective
from onpace.catalog.models import Dataset, Metric, Model
from onpace.catalog.reports import Report


class ModelFile(Model):
    """The contents of one file under models/."""

    datasets: list[Dataset] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    kpis: list[Kpi] = Field(default_factory=list)
    alerts: list[AlertRule] = Field(
        default_factory=list, description="Alert rules: who hears about what, and when (docs/alerts.md)."
    )
    reports: list[Report] = Field(
        default_factory=list, description="Scheduled reports: which KPIs, when, to whom (docs/reports.md)."
    )
    people: list[NamedPerson] = Field(
        default_factory=list,
        description="People owners and users map to, by name, besides those under 'people:' in onpace.yml.",
    )


def default_type(data: Any) -> Any:
    """Metrics without 'type' are simple: fill it in so the discriminator works."""
    if isinstance(data, dict):
        for metric in data.get("metrics") or []:
            if isinstance(metric, dict) and "type" not in metric:
                metric["type"] = "simple"
    return data

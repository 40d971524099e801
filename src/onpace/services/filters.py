"""Filters: one model per list that can be filtered, the same for the pages, the API and the CLI.

The scorecard page (``/?owner=...``), ``GET /api/kpis?owner=...`` and ``onpace status --owner ...``
parse their filters into :class:`ScorecardFilter`; the catalog page and ``GET /api/metrics`` into
:class:`CatalogFilter`. A value that does not validate is refused naming the parameter (422 on the
web, a bad ``--option`` in the CLI); an empty value is no filter (the pages' "all").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.errors import QueryError, did_you_mean
from onpace.kpi.types import Status
from onpace.services import scorecard
from onpace.services.views.scorecard import ScorecardRow

if TYPE_CHECKING:
    from onpace.services.views.metrics import MetricSummary

Row = TypeVar("Row", bound=ScorecardRow)


class Filter(BaseModel):
    """Every field optional; a blank value means no filter."""

    model_config = ConfigDict(frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    def active(self) -> bool:
        return any(value is not None for value in self.model_dump().values())


class ScorecardFilter(Filter):
    """Which KPI rows to show: the scorecard page, ``GET /api/kpis`` and ``onpace status``."""

    objective: str | None = Field(
        default=None, max_length=128, description="this objective and the objectives under it"
    )
    department: str | None = Field(
        default=None, max_length=m.MAX_NAME_TEXT, description="the department of the KPI's metric"
    )
    owner: str | None = Field(default=None, max_length=m.MAX_NAME_TEXT, description="the KPI's owner")
    # any other value than a status is refused, naming ``status``
    status: Status | None = Field(default=None, description="on_track, at_risk, off_track, achieved, missed or no_data")

    def objectives(self, project: Project) -> set[str] | None:
        """The objective filtered on and every objective under it (None: no objective filter)."""
        if self.objective is None:
            return None
        if self.objective not in project.objectives:
            raise QueryError(
                f"unknown objective '{self.objective}'", suggestion=did_you_mean(self.objective, project.objectives)
            )
        found = {self.objective}
        grew = True
        while grew:
            under = {name for name, o in project.objectives.items() if o.parent in found and name not in found}
            found |= under
            grew = bool(under)
        return found

    def select(self, project: Project, rows: Sequence[Row]) -> list[Row]:
        """The rows this filter keeps, in their order."""
        objectives = self.objectives(project)

        def department(row: ScorecardRow) -> str | None:
            return getattr(project.metrics.get(row.metric or ""), "department", None)

        return [
            r
            for r in rows
            if (objectives is None or r.objective in objectives)
            and (self.department is None or department(r) == self.department)
            and (self.owner is None or r.owner == self.owner)
            and (self.status is None or r.status == self.status)
        ]

    def tree(self, project: Project, rows: Sequence[ScorecardRow]) -> list[scorecard.ObjectiveNode]:
        """The objective tree of the rows kept, with its roll-up: the filtered objective is the root,
        and objectives the other filters leave empty are left out."""
        nodes = scorecard.tree(project, list(rows))  # each objective's roll-up over all its KPIs, whatever is shown
        kept = {id(r) for r in self.select(project, rows)}
        for node in scorecard.walk(nodes):
            node.rows = [r for r in node.rows if id(r) in kept]
        if self.objective is not None:
            nodes = [n for n in scorecard.walk(nodes) if n.objective.name == self.objective]
        if self.department is not None or self.owner is not None or self.status is not None:
            nodes = _prune(nodes)
        return nodes


def _prune(nodes: list[scorecard.ObjectiveNode]) -> list[scorecard.ObjectiveNode]:
    kept = []
    for node in nodes:
        node.children = _prune(node.children)
        if node.rows or node.children:
            kept.append(node)
    return kept


class CatalogFilter(Filter):
    """Which metrics of the catalog to show: the catalog page and ``GET /api/metrics``."""

    q: str | None = Field(default=None, max_length=200, description="words in names, labels, descriptions and tags")
    department: str | None = Field(default=None, max_length=m.MAX_NAME_TEXT)
    owner: str | None = Field(default=None, max_length=m.MAX_NAME_TEXT)
    # a type no metric can have is a 422 naming the types (was an empty list, as if none matched)
    type: Literal["simple", "ratio", "derived", "cumulative", "conversion", "semi_additive", "manual"] | None = Field(
        default=None, description="the metrics of one type"
    )
    tag: str | None = Field(default=None, max_length=m.MAX_NAME_TEXT)
    kpi: bool | None = Field(default=None, description="only metrics that are KPIs (true), or only those that are not")

    def matches(self, metric: MetricSummary) -> bool:
        needle = (self.q or "").strip().lower()
        text = " ".join([metric.name, metric.label, metric.description or "", *metric.tags]).lower()
        return (
            (not needle or needle in text)
            and (self.department is None or (metric.department or "") == self.department)
            and (self.owner is None or (metric.owner or "") == self.owner)
            and (self.type is None or metric.type == self.type)
            and (self.tag is None or self.tag in metric.tags)
            and (self.kpi is None or bool(metric.kpis) == self.kpi)
        )

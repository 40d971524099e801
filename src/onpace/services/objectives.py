"""Objectives as views: the tree with each objective's KPIs and roll-up, one objective, a definition."""

from __future__ import annotations

from onpace.catalog import goals as g
from onpace.catalog.project import Project
from onpace.errors import NotFoundError, did_you_mean_suffix
from onpace.services import app_definitions, scorecard
from onpace.services.views.scorecard import ObjectiveDefinition, ObjectiveDetail, ObjectiveView
from onpace.store.db import Store


def view(node: scorecard.ObjectiveNode) -> ObjectiveView:
    """An objective of the tree, with its KPIs' rows and the objectives under it."""
    o = node.objective
    return ObjectiveView(
        name=o.name,
        label=o.label or o.name,
        description=o.description,
        owner=o.owner,
        priority=o.priority,
        parent=o.parent,
        status=node.status,
        score=node.score,
        kpis=list(node.rows),
        children=[view(c) for c in node.children],
    )


def tree(project: Project, store: Store) -> list[ObjectiveView]:
    """Objectives as a tree (roots first), each with its KPIs and weighted roll-up status."""
    return [view(n) for n in scorecard.tree(project, scorecard.kpi_rows(project, store))]


def detail(project: Project, store: Store, name: str) -> ObjectiveDetail:
    """One objective of the tree, where it is defined, and whether the app or the code manages it."""
    nodes = scorecard.walk(scorecard.tree(project, scorecard.kpi_rows(project, store)))
    found = next((n for n in nodes if n.objective.name == name), None)
    if found is None:
        raise NotFoundError(f"no objective named '{name}'" + did_you_mean_suffix(name, project.objectives))
    return ObjectiveDetail(
        **dict(view(found)),
        file=found.objective._file,
        managed_by="app" if app_definitions.managed_by_app(project, "objective", name) else "code",
    )


def definition(objective: g.Objective) -> ObjectiveDefinition:
    """The objective's definition as written."""
    return ObjectiveDefinition.model_validate(objective.model_dump(mode="json", exclude_none=True))

"""Objectives: the tree with roll-up status, one objective, and changes to those the app manages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from onpace.api.deps import ProjectDep, StoreDep, UserDep, allowed
from onpace.errors import NotFoundError, did_you_mean
from onpace.services import app_definitions, scorecard

router = APIRouter(prefix="/objectives", tags=["objectives"])


def _node(node: scorecard.ObjectiveNode) -> dict[str, Any]:
    o = node.objective
    return {
        "name": o.name,
        "label": o.label or o.name,
        "description": o.description,
        "owner": o.owner,
        "priority": o.priority,
        "parent": o.parent,
        "status": node.status,
        "score": node.score,
        "kpis": [scorecard.jsonable(r) for r in node.rows],
        "children": [_node(c) for c in node.children],
    }


@router.get("")
def tree(project: ProjectDep, store: StoreDep) -> list[dict[str, Any]]:
    """Objectives as a tree (roots first), each with its KPIs and weighted roll-up status."""
    return [_node(n) for n in scorecard.tree(project, scorecard.kpi_rows(project, store))]


@router.get("/{name}")
def get_objective(name: str, project: ProjectDep, store: StoreDep) -> dict[str, Any]:
    nodes = scorecard.walk(scorecard.tree(project, scorecard.kpi_rows(project, store)))
    found = next((n for n in nodes if n.objective.name == name), None)
    if found is None:
        suggestion = did_you_mean(name, project.objectives)
        raise NotFoundError(f"no objective named '{name}'" + (f"; did you mean '{suggestion}'?" if suggestion else ""))
    return {
        **_node(found),
        "file": found.objective._file,
        "managed_by": "app" if app_definitions.managed_by_app(project, "objective", name) else "code",
    }


class ObjectiveBody(BaseModel):
    """An objective's definition, with the keys of the YAML (docs/definitions.md)."""

    model_config = {"extra": "allow"}
    name: str = Field(min_length=1, max_length=128)


@router.post(
    "",
    status_code=201,
    responses={409: {"description": "the name is taken"}},
    dependencies=[allowed("manage_goals")],
)
def create(body: ObjectiveBody, project: ProjectDep, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Create an objective (kept in models/app.yml); strategists and admins."""
    user.require("manage_goals")
    reloaded = app_definitions.save(project, store, "objective", body.model_dump(), actor=user.name, create=True)
    return reloaded.objectives[body.name].model_dump(mode="json", exclude_none=True)


@router.put(
    "/{name}",
    responses={409: {"description": "defined in YAML: change the file and run onpace apply"}},
    dependencies=[allowed("manage_goals")],
)
def update(name: str, body: ObjectiveBody, project: ProjectDep, store: StoreDep, user: UserDep) -> dict[str, Any]:
    user.require("manage_goals")
    definition = {**body.model_dump(), "name": name}
    reloaded = app_definitions.save(project, store, "objective", definition, actor=user.name, create=False)
    return reloaded.objectives[name].model_dump(mode="json", exclude_none=True)


@router.delete(
    "/{name}",
    status_code=204,
    responses={409: {"description": "defined in YAML"}},
    dependencies=[allowed("manage_goals")],
)
def delete(name: str, project: ProjectDep, store: StoreDep, user: UserDep) -> None:
    user.require("manage_goals")
    app_definitions.delete(project, store, "objective", name, actor=user.name)

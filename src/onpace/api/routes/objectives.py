"""Objectives: the tree with roll-up status, one objective, and changes to those the app manages."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from onpace.api.deps import ProjectDep, StoreDep, UserDep, allowed, errors
from onpace.services import app_definitions, objectives
from onpace.services.views.scorecard import ObjectiveDefinition, ObjectiveDetail, ObjectiveView

router = APIRouter(prefix="/objectives", tags=["objectives"])


@router.get("")
def tree(project: ProjectDep, store: StoreDep) -> list[ObjectiveView]:
    """Objectives as a tree (roots first), each with its KPIs and weighted roll-up status."""
    return objectives.tree(project, store)


@router.get("/{name}")
def get_objective(name: str, project: ProjectDep, store: StoreDep) -> ObjectiveDetail:
    return objectives.detail(project, store, name)


class ObjectiveBody(BaseModel):
    """An objective's definition, with the keys of the YAML (docs/definitions.md)."""

    model_config = {"extra": "allow"}
    name: str = Field(min_length=1, max_length=128)


@router.post(
    "",
    status_code=201,
    responses=errors({409: "the name is taken"}),
    dependencies=[allowed("manage_goals")],
    response_model_exclude_none=True,
)
def create(body: ObjectiveBody, project: ProjectDep, store: StoreDep, user: UserDep) -> ObjectiveDefinition:
    """Create an objective (kept in models/app.yml); strategists and admins."""
    user.require("manage_goals")
    reloaded = app_definitions.save(project, store, "objective", body.model_dump(), actor=user.name, create=True)
    return objectives.definition(reloaded.objectives[body.name])


@router.put(
    "/{name}",
    responses=errors({409: "defined in YAML: change the file and run onpace apply"}),
    dependencies=[allowed("manage_goals")],
    response_model_exclude_none=True,
)
def update(name: str, body: ObjectiveBody, project: ProjectDep, store: StoreDep, user: UserDep) -> ObjectiveDefinition:
    user.require("manage_goals")
    reloaded = app_definitions.replace(project, store, "objective", name, body.model_dump(), actor=user.name)
    return objectives.definition(reloaded.objectives[name])


@router.delete(
    "/{name}",
    status_code=204,
    responses=errors({409: "defined in YAML"}),
    dependencies=[allowed("manage_goals")],
)
def delete(name: str, project: ProjectDep, store: StoreDep, user: UserDep) -> None:
    user.require("manage_goals")
    app_definitions.delete(project, store, "objective", name, actor=user.name)

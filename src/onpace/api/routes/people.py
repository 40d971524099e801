"""People: whom owners, ``user:`` and ``person:`` recipients map to; those made here are kept in models/app.yml."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from onpace.api.deps import ProjectDep, StoreDep, UserDep, allowed, errors
from onpace.services import app_definitions
from onpace.services.auth import Action
from onpace.services.views.people import PersonView, person_view, person_views

router = APIRouter(prefix="/people", tags=["people"])

MANAGE: Action = "manage_users"  # people are the users' addresses: admins
IN_YAML = {409: "defined in another file: change it there and run onpace apply"}


class PersonBody(BaseModel):
    """A person's addresses (checked as the YAML's ``people:`` entries are)."""

    model_config = {"extra": "forbid"}
    email: str | None = Field(default=None, max_length=254, description="their email address")
    user: str | None = Field(default=None, max_length=128, description="their onpace login")
    slack: str | None = Field(default=None, max_length=80, description="their Slack handle, e.g. @maria")


class NewPerson(PersonBody):
    name: str = Field(min_length=1, max_length=128, description="what owners, user: and person: refer to")


@router.get("", dependencies=[allowed(MANAGE)])
def list_people(project: ProjectDep, user: UserDep) -> list[PersonView]:
    """Every person, wherever defined (admins)."""
    user.require(MANAGE)
    return person_views(project)


@router.post("", status_code=201, responses=errors({409: "the name is taken"}), dependencies=[allowed(MANAGE)])
def create(body: NewPerson, project: ProjectDep, store: StoreDep, user: UserDep) -> PersonView:
    """Add a person (kept in models/app.yml); admins."""
    user.require(MANAGE)
    reloaded = app_definitions.save(project, store, "person", body.model_dump(), actor=user.name, create=True)
    return person_view(reloaded, body.name)


@router.put("/{name}", responses=errors({404: "no such person", **IN_YAML}), dependencies=[allowed(MANAGE)])
def update(name: str, body: PersonBody, project: ProjectDep, store: StoreDep, user: UserDep) -> PersonView:
    """Replace a person made in the app; one defined in another file is refused (409)."""
    user.require(MANAGE)
    definition = {**body.model_dump(), "name": name}
    reloaded = app_definitions.save(project, store, "person", definition, actor=user.name, create=False)
    return person_view(reloaded, name)


@router.delete(
    "/{name}", status_code=204, responses=errors({404: "no such person", **IN_YAML}), dependencies=[allowed(MANAGE)]
)
def delete(name: str, project: ProjectDep, store: StoreDep, user: UserDep) -> None:
    user.require(MANAGE)
    app_definitions.delete(project, store, "person", name, actor=user.name)

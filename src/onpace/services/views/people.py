"""People (whom owners, ``user:`` and ``person:`` recipients map to) as the Settings page and the API show them."""

from __future__ import annotations

from pydantic import Field

from onpace.catalog.project import Project
from onpace.services.views.base import View


class PersonView(View):
    """A person: their addresses, and the file that defines them (models/app.yml: made in the app)."""

    name: str
    email: str | None
    user: str | None = Field(description="their onpace login")
    slack: str | None = Field(description="their Slack handle")
    file: str | None = Field(description="where they are defined: onpace.yml, a model file, models/app.yml")


def person_view(project: Project, name: str) -> PersonView:
    person = project.config.people[name]
    return PersonView(name=name, email=person.email, user=person.user, slack=person.slack, file=person._file)


def person_views(project: Project) -> list[PersonView]:
    """Every person of the project, by name."""
    return [person_view(project, name) for name in sorted(project.config.people)]

"""What API routes depend on: the workspace, the project, and the user (checked by the server's gate)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request

from onpace.catalog.project import Project
from onpace.errors import AuthenticationError
from onpace.services.auth import Action, CurrentUser, RoleRule
from onpace.services.views.errors import ErrorBody
from onpace.services.workspace import Workspace
from onpace.store.db import Store  # the type of the store dependency: routes hand it to services


async def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


async def current_user(request: Request) -> CurrentUser:
    user: CurrentUser | None = getattr(request.state, "user", None)
    if user is None:  # the gate lets no such request through; a second guard costs nothing
        raise AuthenticationError("login required")
    return user


WorkspaceDep = Annotated[Workspace, Depends(workspace)]
UserDep = Annotated[CurrentUser, Depends(current_user)]


def project(ws: WorkspaceDep) -> Project:
    return ws.project()


async def store(ws: WorkspaceDep) -> Store:
    return ws.store


ProjectDep = Annotated[Project, Depends(project)]
StoreDep = Annotated[Store, Depends(store)]


class Allowed(RoleRule):
    """An API route's :class:`RoleRule` as a dependency: checks it again and returns the user."""

    async def __call__(self, request: Request) -> CurrentUser | None:
        return self.check(getattr(request.state, "user", None))


def allowed(action: Action, *, bulk: bool = False) -> Any:
    """A dependency that refuses (403) a user whose role may not do ``action``; returns the user."""
    return Depends(Allowed(action, bulk=bulk))


def open_to_anyone() -> Any:
    """The declaration of an unsafe route anyone may call (logging in): no role is checked."""
    return Depends(Allowed(None))


ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "refused: the message, or the request's problems (docs/web.md)"},
    "5XX": {"model": ErrorBody, "description": "a data source or the store failed"},
}
"""The error answers every operation may give (server.py's handlers write them)."""


def errors(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """Error answers of one operation, by status: ``errors({409: "the name is taken"})``."""
    return {code: {"model": ErrorBody, "description": text} for code, text in described.items()}

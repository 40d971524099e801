"""What API routes depend on: the workspace, the project, and the user (checked by the server's gate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from onpace.catalog.project import Project
from onpace.errors import AuthenticationError
from onpace.services.auth import Action, CurrentUser
from onpace.services.workspace import Workspace
from onpace.store.db import Store


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


def allowed(action: Action) -> object:
    """A dependency that refuses (403) a user whose role may not do ``action``; returns the user."""

    async def check(user: UserDep) -> CurrentUser:
        user.require(action)
        return user

    return Depends(check)

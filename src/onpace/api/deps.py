"""What API routes depend on: the workspace, the project, and the user (checked by the server's gate)."""

from __future__ import annotations

from typing import Annotated, Any

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


class Allowed:
    """A route's declaration of what its caller must be allowed to do, and the dependency that checks it.

    The server's gate finds this on the route a request matches and refuses (403) a role that may
    not, before the request's body is read (FastAPI reads the body before dependencies run). As a
    dependency it checks again and returns the user. ``action=None``: anyone may call the route
    (logging in); ``bulk``: the route takes values in bulk, up to ``max_upload_bytes``.
    """

    def __init__(self, action: Action | None, *, bulk: bool = False) -> None:
        self.action = action
        self.bulk = bulk

    async def __call__(self, request: Request) -> CurrentUser | None:
        user: CurrentUser | None = getattr(request.state, "user", None)
        if self.action is None:
            return user
        if user is None:
            raise AuthenticationError("login required")
        user.require(self.action)
        return user


def allowed(action: Action, *, bulk: bool = False) -> Any:
    """A dependency that refuses (403) a user whose role may not do ``action``; returns the user."""
    return Depends(Allowed(action, bulk=bulk))


def open_to_anyone() -> Any:
    """The declaration of an unsafe route anyone may call (logging in): no role is checked."""
    return Depends(Allowed(None))

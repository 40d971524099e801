"""What pages depend on: the workspace and the logged-in user (the server's gate has checked the login)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from onpace.errors import AuthenticationError
from onpace.services.auth import CurrentUser
from onpace.services.workspace import Workspace


async def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


async def current_user(request: Request) -> CurrentUser:
    user: CurrentUser | None = getattr(request.state, "user", None)
    if user is None:
        raise AuthenticationError("login required")
    return user


WorkspaceDep = Annotated[Workspace, Depends(workspace)]
UserDep = Annotated[CurrentUser, Depends(current_user)]

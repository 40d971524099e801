"""What pages depend on: the workspace and the logged-in user (the server's gate has checked the login)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from onpace.errors import AuthenticationError
from onpace.services.auth import Action, CurrentUser, RoleRule
from onpace.services.evaluate import parse_as_of
from onpace.services.workspace import Workspace


async def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


async def current_user(request: Request) -> CurrentUser:
    user: CurrentUser | None = getattr(request.state, "user", None)
    if user is None:
        raise AuthenticationError("login required")
    return user


async def as_of_date(
    as_of: Annotated[
        str | None, Query(max_length=32, description="the page as it was on this day (YYYY-MM-DD); blank: the latest")
    ] = None,
) -> dt.date | None:
    """The ``as_of`` date of a page (its date picker's; blank is none), checked as the API checks it: a
    text that is not a date is refused (400) saying what to write instead.

    ``async`` because it only parses: FastAPI runs a plain ``def`` dependency in a worker thread,
    a hop (and a wait for the GIL) on every page that has a date picker."""
    return parse_as_of((as_of or "").strip())


WorkspaceDep = Annotated[Workspace, Depends(workspace)]
UserDep = Annotated[CurrentUser, Depends(current_user)]
AsOfDep = Annotated[dt.date | None, Depends(as_of_date)]


class Allowed(RoleRule):
    """A page route's :class:`RoleRule` as a dependency: checks it again and returns the user."""

    async def __call__(self, request: Request) -> CurrentUser | None:
        return self.check(getattr(request.state, "user", None))


def allowed(action: Action) -> Any:
    """A dependency that refuses (403) a user whose role may not do ``action``; returns the user."""
    return Depends(Allowed(action))


def open_to_anyone() -> Any:
    """The declaration of an unsafe route anyone may call (logging in, setup, logging out)."""
    return Depends(Allowed(None))

"""Settings (admins): users, API tokens, sources, and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from onpace.services import admin, auth
from onpace.services.views.admin import NewTokenView, SettingsView
from onpace.web.deps import UserDep, WorkspaceDep, allowed
from onpace.web.render import page

router = APIRouter(prefix="/settings")


def _view(ws: WorkspaceDep) -> SettingsView:
    return admin.settings(ws.project(), ws.store)


@router.get("")
def settings_page(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    user.require("manage_users")
    return page(request, "settings.html", view=_view(ws))


@router.post("/users", dependencies=[allowed("manage_users")])
def add_user(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    name: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=16)],
    department: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    user.require("manage_users")
    auth.add_user(ws.store, name, password, role, actor=user.name, department=department or None)
    return page(request, "settings.html", notice=f"user '{name}' added", view=_view(ws))


@router.post("/tokens", dependencies=[allowed("manage_tokens")])
def add_token(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    name: Annotated[str, Form(max_length=128)],
    owner: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    user.require("manage_tokens")
    made = NewTokenView.model_validate(auth.create_token(ws.store, owner or user.name, name, actor=user.name))
    return page(request, "settings.html", new_token=made, view=_view(ws))


@router.post("/tokens/{token_id}/revoke", dependencies=[allowed("manage_tokens")])
def revoke_token(
    request: Request, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)], ws: WorkspaceDep, user: UserDep
) -> Response:
    user.require("manage_tokens")
    auth.revoke_token(ws.store, token_id, actor=user.name)
    return page(request, "settings.html", notice="token revoked", view=_view(ws))

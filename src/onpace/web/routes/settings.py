"""Settings (admins): users, API tokens, sources, and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from onpace.catalog.project import Project
from onpace.services import auth
from onpace.store import audit
from onpace.store import users as store_users
from onpace.store.connect import redact
from onpace.web.deps import UserDep, WorkspaceDep, allowed
from onpace.web.render import page

router = APIRouter(prefix="/settings")


def _context(ws: WorkspaceDep, project: Project) -> dict[str, Any]:
    with ws.store.session(readonly=True) as s:
        users = store_users.list_users(s)
        tokens = store_users.list_tokens(s)
        entries = audit.list_audit(s, 100)
    sources = {name: redact(src.url) for name, src in project.sources.items()}
    return {"users": users, "tokens": tokens, "audit": entries, "sources": sources, "roles": auth.ROLES}


@router.get("")
def settings_page(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    user.require("manage_users")
    return page(request, "settings.html", **_context(ws, ws.project()))


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
    return page(request, "settings.html", notice=f"user '{name}' added", **_context(ws, ws.project()))


@router.post("/tokens", dependencies=[allowed("manage_tokens")])
def add_token(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    name: Annotated[str, Form(max_length=128)],
    owner: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    user.require("manage_tokens")
    made = auth.create_token(ws.store, owner or user.name, name, actor=user.name)
    return page(request, "settings.html", new_token=made, **_context(ws, ws.project()))


@router.post("/tokens/{token_id}/revoke", dependencies=[allowed("manage_tokens")])
def revoke_token(
    request: Request, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)], ws: WorkspaceDep, user: UserDep
) -> Response:
    user.require("manage_tokens")
    auth.revoke_token(ws.store, token_id, actor=user.name)
    return page(request, "settings.html", notice="token revoked", **_context(ws, ws.project()))

"""Admins: users, API tokens and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from onpace.api.deps import StoreDep, UserDep, allowed
from onpace.services import auth
from onpace.store import audit
from onpace.store import users as store_users

IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
router = APIRouter(tags=["admin"])


def user_dict(u: Any) -> dict[str, Any]:
    return {
        "name": u.name,
        "role": u.role,
        "department": u.department,
        "disabled": u.disabled,
        "created_at": u.created_at.isoformat(),
    }


@router.get("/users")
def list_users(store: StoreDep, user: UserDep) -> list[dict[str, Any]]:
    user.require("manage_users")
    with store.session(readonly=True) as s:
        return [user_dict(u) for u in store_users.list_users(s)]


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)
    role: str = Field(description="admin, strategist, editor or viewer")
    department: str | None = Field(default=None, max_length=128)


@router.post(
    "/users",
    status_code=201,
    responses={409: {"description": "the name is taken"}},
    dependencies=[allowed("manage_users")],
)
def add_user(body: NewUser, store: StoreDep, user: UserDep) -> dict[str, Any]:
    user.require("manage_users")
    auth.add_user(store, body.name, body.password, body.role, actor=user.name, department=body.department)
    with store.session(readonly=True) as s:
        return user_dict(store_users.get_user(s, body.name.strip()))


class UserChange(BaseModel):
    role: str | None = Field(default=None, max_length=16, description="admin, strategist, editor or viewer")
    department: str | None = Field(default=None, max_length=128)
    disabled: bool | None = None
    password: str | None = Field(default=None, max_length=1024)


@router.patch("/users/{name}", dependencies=[allowed("manage_users")])
def change_user(name: str, body: UserChange, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Change a user, all or nothing (nothing changes when one value is refused); disabling a user or a new
    password ends their sessions and revokes their API tokens."""
    user.require("manage_users")
    auth.update_user(
        store,
        name,
        actor=user.name,
        role=body.role,
        department=body.department,
        disabled=body.disabled,
        password=body.password,
    )
    with store.session(readonly=True) as s:
        return user_dict(store_users.get_user(s, name))


def token_dict(token: Any, owner: Any) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "user": owner.name,
        "prefix": token.prefix,
        "created_at": token.created_at.isoformat(),
        "created_by": token.created_by,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@router.get("/tokens")
def list_tokens(store: StoreDep, user: UserDep) -> list[dict[str, Any]]:
    """Every API token (never the secret: only its first characters)."""
    user.require("manage_tokens")
    with store.session(readonly=True) as s:
        return [token_dict(t, u) for t, u in store_users.list_tokens(s)]


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    user: str | None = Field(default=None, max_length=128, description="whose token (default: yours)")


@router.post("/tokens", status_code=201, dependencies=[allowed("manage_tokens")])
def create_token(body: NewToken, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """A new token; its secret is in the answer and never shown again."""
    user.require("manage_tokens")
    made = auth.create_token(store, body.user or user.name, body.name, actor=user.name)
    return {"id": made.id, "name": made.name, "user": made.user, "token": made.token}


@router.delete("/tokens/{token_id}", status_code=204, dependencies=[allowed("manage_tokens")])
def revoke_token(token_id: IdPath, store: StoreDep, user: UserDep) -> None:
    user.require("manage_tokens")
    auth.revoke_token(store, token_id, actor=user.name)


@router.get("/audit")
def audit_log(
    store: StoreDep,
    user: UserDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    object_kind: Annotated[str | None, Query(max_length=16)] = None,
    object_name: Annotated[str | None, Query(max_length=128)] = None,
    since: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Every change, newest first (admins)."""
    user.require("read_audit")
    with store.session(readonly=True) as s:
        rows = audit.list_audit(s, limit, actor=actor, object_kind=object_kind, object_name=object_name, since=since)
        return [
            {
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "object_kind": r.object_kind,
                "object_name": r.object_name,
                "details": r.details,
            }
            for r in rows
        ]

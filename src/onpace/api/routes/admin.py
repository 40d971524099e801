"""Admins: users, API tokens and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from onpace.api.deps import StoreDep, UserDep, WorkspaceDep, allowed, errors
from onpace.services import admin, auth
from onpace.services.params import Moment
from onpace.services.views.admin import AuditView, NewTokenView, TokenView, UserView

IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
router = APIRouter(tags=["admin"])


@router.get("/users")
def list_users(store: StoreDep, user: UserDep) -> list[UserView]:
    user.require("manage_users")
    return admin.users(store)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)
    role: str = Field(description="admin, strategist, editor or viewer")
    department: str | None = Field(default=None, max_length=128)


@router.post(
    "/users",
    status_code=201,
    responses=errors({409: "the name is taken"}),
    dependencies=[allowed("manage_users")],
)
def add_user(body: NewUser, store: StoreDep, ws: WorkspaceDep, user: UserDep) -> UserView:
    user.require("manage_users")
    departments = auth.departments_if_given(body.department, ws.project)
    auth.add_user(
        store, body.name, body.password, body.role, actor=user.name, department=body.department, departments=departments
    )
    return admin.user(store, body.name.strip())


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    role: str | None = Field(default=None, max_length=16, description="admin, strategist, editor or viewer")
    department: str | None = Field(default=None, max_length=128)
    disabled: bool | None = None
    password: str | None = Field(default=None, max_length=1024)


@router.patch("/users/{name}", dependencies=[allowed("manage_users")])
def change_user(name: str, body: UserChange, store: StoreDep, ws: WorkspaceDep, user: UserDep) -> UserView:
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
        departments=auth.departments_if_given(body.department, ws.project),
    )
    return admin.user(store, name)


@router.get("/tokens")
def list_tokens(store: StoreDep, user: UserDep) -> list[TokenView]:
    """Every API token (never the secret: only its first characters)."""
    user.require("manage_tokens")
    return admin.tokens(store)


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key it does not know is named, not dropped

    name: str = Field(min_length=1, max_length=128)
    user: str | None = Field(default=None, max_length=128, description="whose token (default: yours)")


@router.post("/tokens", status_code=201, dependencies=[allowed("manage_tokens")])
def create_token(body: NewToken, store: StoreDep, user: UserDep) -> NewTokenView:
    """A new token; its secret is in the answer and never shown again."""
    user.require("manage_tokens")
    return NewTokenView.model_validate(auth.create_token(store, body.user or user.name, body.name, actor=user.name))


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
    since: Annotated[
        Moment | None, Query(description="changes from this time on (ISO 8601; UTC when it has no offset)")
    ] = None,
) -> list[AuditView]:
    """Every change, newest first (admins)."""
    user.require("read_audit")
    return admin.audit_log(store, limit, actor=actor, object_kind=object_kind, object_name=object_name, since=since)

"""Settings (admins): users, API tokens, people, sources, and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from onpace.errors import UserError
from onpace.services import admin, app_definitions, auth
from onpace.services.views.admin import NewTokenView
from onpace.services.views.people import person_views
from onpace.web.deps import UserDep, WorkspaceDep, allowed
from onpace.web.render import page, redirect

router = APIRouter(prefix="/settings")


def _page(request: Request, ws: WorkspaceDep, *, status_code: int = 200, **context: Any) -> Response:
    project = ws.project()
    return page(
        request,
        "settings.html",
        status_code=status_code,
        view=admin.settings(project, ws.store),
        people=person_views(project),
        app_file=app_definitions.APP_FILE.as_posix(),
        **context,
    )


@router.get("")
def settings_page(request: Request, ws: WorkspaceDep, user: UserDep) -> Response:
    user.require("manage_users")
    return _page(request, ws)


Email = Annotated[str, Form(max_length=254)]
Login = Annotated[str, Form(alias="user", max_length=128)]  # 'user' is the one acting
Slack = Annotated[str, Form(max_length=80)]


def _save_person(
    request: Request, ws: WorkspaceDep, actor: str, draft: dict[str, str], *, edited: str | None = None
) -> Response:
    """Save a person in models/app.yml (new, or ``edited``); a refusal is shown above the form, which keeps
    what was typed."""
    definition = {key: value.strip() or None for key, value in draft.items()}
    try:
        app_definitions.save(ws.project(), ws.store, "person", definition, actor=actor, create=edited is None)
    except UserError as exc:
        return _page(
            request,
            ws,
            status_code=exc.status,
            person_draft=draft,
            person_edited=edited,
            person_error=exc.public_message,
        )
    return redirect(request, "/settings#people")


@router.post("/people", dependencies=[allowed("manage_users")])
def add_person(
    request: Request,
    ws: WorkspaceDep,
    user: UserDep,
    name: Annotated[str, Form(max_length=128)],
    email: Email = "",
    login: Login = "",
    slack: Slack = "",
) -> Response:
    """A person kept in models/app.yml: whom owners, user: and person: recipients map to."""
    user.require("manage_users")
    return _save_person(request, ws, user.name, {"name": name, "email": email, "user": login, "slack": slack})


@router.post("/people/{name}/edit", dependencies=[allowed("manage_users")])
def edit_person(
    request: Request,
    name: str,
    ws: WorkspaceDep,
    user: UserDep,
    email: Email = "",
    login: Login = "",
    slack: Slack = "",
) -> Response:
    user.require("manage_users")
    draft = {"name": name, "email": email, "user": login, "slack": slack}
    return _save_person(request, ws, user.name, draft, edited=name)


@router.post("/people/{name}/delete", dependencies=[allowed("manage_users")])
def delete_person(request: Request, name: str, ws: WorkspaceDep, user: UserDep) -> Response:
    user.require("manage_users")
    app_definitions.delete(ws.project(), ws.store, "person", name, actor=user.name)
    return redirect(request, "/settings#people")


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
    auth.add_user(
        ws.store,
        name,
        password,
        role,
        actor=user.name,
        department=department or None,
        departments=auth.departments_if_given(department, ws.project),
    )
    return _page(request, ws, notice=f"user '{name}' added")


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
    return _page(request, ws, new_token=made)


@router.post("/tokens/{token_id}/revoke", dependencies=[allowed("manage_tokens")])
def revoke_token(
    request: Request, token_id: Annotated[int, Path(ge=1, le=2**63 - 1)], ws: WorkspaceDep, user: UserDep
) -> Response:
    user.require("manage_tokens")
    auth.revoke_token(ws.store, token_id, actor=user.name)
    return _page(request, ws, notice="token revoked")

"""Logging in and out, and the first admin's setup (open only while there is no user)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from onpace.errors import ConflictError, OnpaceError
from onpace.services import auth
from onpace.web.deps import WorkspaceDep, allowed, open_to_anyone
from onpace.web.render import page, redirect

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//'): never an open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _with_cookie(request: Request, session: auth.NewSession, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    cookie: dict[str, Any] = request.app.state.cookie
    response.set_cookie(value=session.token, max_age=int(auth.SESSION_LIFETIME.total_seconds()), **cookie)
    return response


@router.get("/login")
def login_page(request: Request, ws: WorkspaceDep, next: str | None = None) -> Response:
    if auth.needs_setup(ws.store):
        return RedirectResponse("/setup", status_code=303)
    if getattr(request.state, "user", None) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return page(request, "login.html", next=_safe_next(next))


@router.post("/login", dependencies=[open_to_anyone()])
def login(
    request: Request,
    ws: WorkspaceDep,
    name: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    client = request.client.host if request.client else "unknown"
    try:
        session = auth.login(ws.store, name, password, client, production=ws.settings.environment == "production")
    except OnpaceError as exc:
        return page(request, "login.html", status_code=exc.status, error=str(exc), next=_safe_next(next), name=name)
    return _with_cookie(request, session, _safe_next(next))


@router.post("/logout", dependencies=[allowed("read")])
def logout(request: Request, ws: WorkspaceDep) -> Response:
    auth.logout(ws.store, request.cookies.get(request.app.state.cookie["key"]))
    response = redirect(request, "/login")
    response.delete_cookie(request.app.state.cookie["key"])
    return response


@router.get("/setup")
def setup_page(request: Request, ws: WorkspaceDep) -> Response:
    if not auth.needs_setup(ws.store):
        return RedirectResponse("/login", status_code=303)
    return page(request, "setup.html")


@router.post("/setup", dependencies=[open_to_anyone()])
def setup(
    request: Request,
    ws: WorkspaceDep,
    name: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        auth.first_admin(ws.store, name, password)
    except ConflictError as exc:
        return page(request, "login.html", status_code=409, error=str(exc), next="/")
    except OnpaceError as exc:
        return page(request, "setup.html", status_code=exc.status, error=str(exc), name=name)
    client = request.client.host if request.client else "unknown"
    return _with_cookie(request, auth.login(ws.store, name.strip(), password, client), "/")

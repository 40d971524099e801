"""Logging in and out through the API (the cookie the web pages use), and who is logged in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from onpace.api.deps import StoreDep, UserDep, allowed, errors, open_to_anyone
from onpace.services import auth
from onpace.services.session import me as me_of
from onpace.services.views.session import Me

router = APIRouter(tags=["session"])


class Login(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


def client_of(request: Request) -> str:
    """The client's address as the server saw it (a proxy's forwarded address only when ONPACE_TRUSTED_PROXIES)."""
    return request.client.host if request.client else "unknown"


def in_production(request: Request) -> bool:
    return bool(request.app.state.settings.environment == "production")


@router.post(
    "/login",
    responses=errors({401: "wrong name or password", 429: "rate limited"}),
    dependencies=[open_to_anyone()],
)
def login(body: Login, request: Request, response: Response, store: StoreDep) -> Me:
    """Open a browser session: sets the HttpOnly session cookie; send ``csrf_token`` as X-CSRF-Token on writes."""
    session = auth.login(store, body.name, body.password, client_of(request), production=in_production(request))
    cookie: dict[str, Any] = request.app.state.cookie
    response.set_cookie(value=session.token, max_age=int(auth.SESSION_LIFETIME.total_seconds()), **cookie)
    return me_of(session.user)


@router.post("/logout", status_code=204, dependencies=[allowed("read")])
def logout(request: Request, response: Response, store: StoreDep, user: UserDep) -> None:
    auth.logout(store, request.cookies.get(request.app.state.cookie["key"]))
    response.delete_cookie(request.app.state.cookie["key"])


@router.get("/me")
def me(user: UserDep) -> Me:
    return me_of(user)

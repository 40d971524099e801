"""The web server: the REST API (``/api``) and the web pages in one ASGI app.

``create_app()`` builds it from the project in ``$ONPACE_PROJECT`` (else the
current directory), or from a :class:`Workspace` a test passes. Login is
checked here, once, for every route (:class:`AuthGate`), so a new route is
protected without anyone remembering to: only the paths in ``PUBLIC`` are
open. Unsafe requests of a browser session carry the session's CSRF token
(header ``X-CSRF-Token``, or a ``csrf_token`` form field).

``onpace serve`` runs it with uvicorn (``uvicorn onpace.server:create_app --factory``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onpace import __version__
from onpace.api import build_router as api_router
from onpace.config import Settings
from onpace.errors import OnpaceError
from onpace.services import auth, scorecard
from onpace.services.workspace import Workspace
from onpace.web import STATIC_DIR
from onpace.web import build_router as web_router
from onpace.web.render import error_page

SESSION_COOKIE = "onpace_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
# paths open without a login: health checks, logging in, the first-admin setup, static files
PUBLIC = frozenset({"/healthz", "/api/health", "/login", "/api/login", "/setup"})
PUBLIC_PREFIXES = ("/static/",)
SCORECARD_PAGES = frozenset({"/", "/tv"})  # pages that show the cached board of the newest evaluation
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 1 << 20


def is_public(path: str) -> bool:
    return path in PUBLIC or path.startswith(PUBLIC_PREFIXES)


class AuthGate:
    """Pure ASGI middleware: who is asking (session cookie or bearer token), and may they."""

    def __init__(self, app: ASGIApp, workspace: Workspace) -> None:
        self.app = app
        self.workspace = workspace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = scope["path"]
        user = await run_in_threadpool(self._user, request)
        scope.setdefault("state", {})["user"] = user
        if user is None and not is_public(path):
            await self._refuse(request, scope, receive, send)
            return
        if user is not None and scope["method"] in UNSAFE and user.via == "session" and not is_public(path):
            presented = request.headers.get(CSRF_HEADER)
            if presented is None:
                presented, receive = await _form_field(scope, receive, CSRF_FIELD)
            if not auth.csrf_ok(user, presented):
                response = JSONResponse(
                    {"detail": "missing or wrong CSRF token: reload the page and try again"}, status_code=403
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _user(self, request: Request) -> auth.CurrentUser | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            user = auth.token_user(self.workspace.store, header[7:].strip())
        else:
            user = auth.session_user(self.workspace.store, request.cookies.get(SESSION_COOKIE))
        if user is not None and request.method == "GET" and request.url.path in SCORECARD_PAGES:
            # read here, in the thread the login check already runs in: the page itself then
            # needs no thread of its own when its board is cached (the common case)
            request.scope.setdefault("state", {})["scorecard_newest"] = scorecard.newest(self.workspace.store)
        return user

    async def _refuse(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        response: Response
        if path.startswith("/api/") or path == "/api" or request.headers.get("authorization"):
            response = JSONResponse(
                {"detail": "login required: log in, or send 'Authorization: Bearer <token>'"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        else:
            target = path + (("?" + scope["query_string"].decode()) if scope.get("query_string") else "")
            login = "/login?next=" + quote(target, safe="")
            if request.headers.get("hx-request"):
                response = Response(status_code=401, headers={"HX-Redirect": login})
            else:
                response = RedirectResponse(login, status_code=303)
        await response(scope, receive, send)


async def _form_field(scope: Scope, receive: Receive, name: str) -> tuple[str | None, Receive]:
    """A field of an urlencoded form body, and a ``receive`` that replays the body downstream."""
    content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode().lower()
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return None, receive
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    values = parse_qs(body.decode("utf-8", "replace")).get(name)
    return (values[0] if values else None), replay


def create_app(workspace: Workspace | None = None, settings: Settings | None = None) -> FastAPI:
    """The ASGI app serving ``workspace`` (default: the project in $ONPACE_PROJECT or the current directory)."""
    settings = settings or (workspace.settings if workspace else Settings())
    if workspace is None:
        workspace = Workspace(Path(os.environ.get("ONPACE_PROJECT") or "."), settings)
    ws = workspace

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ws.close()

    app = FastAPI(
        title="onpace",
        version=__version__,
        description="Business metrics and KPIs: are we on pace, and why? Every route needs a login "
        "(a session cookie, or `Authorization: Bearer <token>`) except /api/health and /api/login.",
        docs_url=None,  # served below with the vendored Swagger UI, so it works offline
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.workspace = ws
    app.state.settings = settings
    app.state.cookie = {
        "key": SESSION_COOKIE,
        "httponly": True,
        "samesite": "lax",
        "secure": settings.environment != "development",
    }

    @app.exception_handler(OnpaceError)
    async def onpace_error(request: Request, exc: OnpaceError) -> Response:
        body: dict[str, Any] = {"detail": str(exc)}
        issues = getattr(exc, "issues", None)
        if issues:
            body["issues"] = [issue.to_dict() for issue in issues]
        hint = getattr(exc, "hint", None)
        if hint:
            body["hint"] = hint
        if not request.url.path.startswith("/api/"):
            return error_page(request, str(exc), exc.status, fragment=bool(request.headers.get("hx-request")))
        return JSONResponse(body, status_code=exc.status)

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="onpace API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api_router())
    app.include_router(web_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(AuthGate, workspace=ws)
    return app

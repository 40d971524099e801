"""The web server: the REST API (``/api``) and the web pages in one ASGI app.

``create_app()`` builds it from the project in ``$ONPACE_PROJECT`` (else the
current directory), or from a :class:`Workspace` a test passes. Login is
checked here, once, for every route (:class:`AuthGate`), so a new route is
protected without anyone remembering to: only the paths in ``PUBLIC`` are
open. Unsafe requests of a browser session carry the session's CSRF token
(header ``X-CSRF-Token``, or a ``csrf_token`` form field).

Every unsafe route declares the action it needs (``allowed(...)``); the gate refuses a role that
may not before the body is read (:class:`RouteRules`). :class:`BodyLimit` refuses (413) a body over
the limit before anything parses it, and :class:`SecurityHeaders` puts the Content-Security-Policy
and the other security headers on every answer (docs/web.md, "Limits and headers").

``onpace serve`` runs it with uvicorn (``uvicorn onpace.server:create_app --factory``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onpace import __version__
from onpace.api import build_router as api_router
from onpace.config import Settings
from onpace.errors import OnpaceError, PermissionDeniedError
from onpace.services import auth, board
from onpace.services.workspace import Workspace
from onpace.web import STATIC_DIR
from onpace.web import build_router as web_router
from onpace.web.render import error_page, render_fragment

log = logging.getLogger(__name__)
SESSION_COOKIE = "onpace_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
# paths open without a login: health checks, logging in, the first-admin setup, static files
PUBLIC = frozenset({"/healthz", "/api/health", "/login", "/api/login", "/setup"})
PUBLIC_PREFIXES = ("/static/",)
SCORECARD_PAGES = frozenset({"/", "/tv"})  # pages that show the cached board of the newest evaluation
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 1 << 20


def scheduler_wanted() -> bool:
    """Whether ``ONPACE_SCHEDULER`` lets this process run the scheduled jobs (anything but off/0/false/no)."""
    return os.environ.get("ONPACE_SCHEDULER", "on").strip().lower() not in ("off", "0", "false", "no")


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
        scope.setdefault("state", {})["user"] = None
        limit = scope.get(BODY_LIMIT_KEY)
        oversize = limit is not None and _declared_length(scope) > limit
        if oversize:  # refused whatever comes next (401, 403 or 413), the body unread: end the connection
            send = _closing(send)
        try:
            user = await run_in_threadpool(self._user, request)
        except OnpaceError as exc:  # a StoreError (503): the store is unreachable, locked or failing
            await self._failed(request, exc, scope, receive, send)
            return
        scope["state"]["user"] = user
        if user is None and not is_public(path):
            await self._refuse(request, scope, receive, send)
            return
        if scope["method"] in UNSAFE and (user is None or user.via == "session") and _cross_site(request):
            # a browser sent this from another site: a forged form (CSRF), or a forged login (login CSRF)
            await _forbidden(request, "refused: this request was sent from another site")(scope, receive, send)
            return
        refused = _role_refusal(request, scope.get(ROUTE_RULE_KEY), user)
        if refused is not None:  # before anything reads the body: a role that may not is not worth reading
            await refused(scope, receive, send)
            return
        if oversize and limit is not None:  # after the login and the role: 401/403 first
            await _too_large(limit)(scope, receive, send)
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
            request.scope.setdefault("state", {})["scorecard_newest"] = board.newest(self.workspace.store)
        return user

    async def _failed(self, request: Request, exc: OnpaceError, scope: Scope, receive: Receive, send: Send) -> None:
        """The login could not be checked: the error's status (503 for the store) as JSON, or a page."""
        log.warning("%s %s: %s", request.method, scope["path"], exc)
        path = scope["path"]
        response: Response
        if path.startswith("/api/") or path == "/api" or request.headers.get("authorization"):
            response = JSONResponse({"detail": exc.public_message}, status_code=exc.status)
        else:
            response = error_page(
                request, exc.public_message, exc.status, fragment=bool(request.headers.get("hx-request"))
            )
        if exc.status == 503:
            response.headers["Retry-After"] = "5"
        await response(scope, receive, send)

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


ROUTE_RULE_KEY = "onpace.route_rule"  # the scope key BodyLimit leaves the matched route's rule under
BODY_LIMIT_KEY = "onpace.body_limit"  # and the route's body limit, which the gate checks Content-Length against
# no inline script or handler anywhere (HTMX runs with allowEval false); style attributes stay
# (templates' bars, ECharts' SVG); no framing; forms and requests only to this site
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class RouteRule:
    """What a route declares (``allowed(...)`` in api/deps.py and web/deps.py): who may call it, how big a body."""

    path: str
    methods: frozenset[str]
    regex: re.Pattern[str]
    declared: bool  # the route names its action (or that anyone may call it)
    action: auth.Action | None  # None: no role is needed
    bulk: bool  # takes values in bulk: up to max_upload_bytes


def route_rules(routes: Sequence[BaseRoute], prefix: str = "") -> list[RouteRule]:
    """The rule of every API route under ``routes``, in the order the router tries them."""
    rules: list[RouteRule] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI includes routers lazily: walk the included one under its prefix
            context = getattr(route, "include_context", None)
            rules += route_rules(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, APIRoute):
            marker = _declared(route.dependant)
            rules.append(
                RouteRule(
                    path=prefix + route.path,
                    methods=frozenset(route.methods or ()),
                    regex=compile_path(prefix + route.path)[0],
                    declared=marker is not None,
                    action=marker.action if marker is not None else None,
                    bulk=bool(getattr(marker, "bulk", False)),
                )
            )
    return rules


def _declared(dependant: Dependant) -> auth.RoleRule | None:
    for dependency in dependant.dependencies:
        call: object = dependency.call  # an interface's Allowed: a RoleRule that is also a dependency
        if isinstance(call, auth.RoleRule):
            return call
        found = _declared(dependency)
        if found is not None:
            return found
    return None


class RouteRules:
    """The rules of an app's routes (read on the first request, when every route is there)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._rules: list[RouteRule] | None = None

    def match(self, scope: Scope) -> RouteRule | None:
        if self._rules is None:
            self._rules = route_rules(self.app.routes)
        method, path, root = scope["method"], scope["path"], scope.get("root_path", "")
        if root and path.startswith(root + "/"):  # served under a prefix (uvicorn --root-path)
            path = path[len(root) :]
        return next((r for r in self._rules if method in r.methods and r.regex.match(path)), None)


def _role_refusal(request: Request, rule: RouteRule | None, user: auth.CurrentUser | None) -> Response | None:
    """The 403 for a user whose role may not do what the matched route declares (None: go on).

    Deny by default: an unsafe route that declares nothing is refused to everyone (a route added
    without ``allowed(...)`` fails closed; tests/security/test_roles_before_body.py names it)."""
    if rule is None:
        return None
    if not rule.declared and request.method in UNSAFE:
        return _forbidden(request, "refused: this route does not declare who may call it")
    if rule.action is None or user is None:
        return None
    try:
        user.require(rule.action)
    except PermissionDeniedError as exc:
        return _forbidden(request, str(exc))
    return None


def _forbidden(request: Request, message: str) -> Response:
    """A 403: JSON for the API and token clients, the (escaped) error page or fragment for pages."""
    if request.url.path.startswith("/api/") or request.headers.get("authorization"):
        return JSONResponse({"detail": message}, status_code=403)
    return error_page(request, message, 403, fragment=bool(request.headers.get("hx-request")))


def _cross_site(request: Request) -> bool:
    """Whether a browser says this request comes from another site (``Sec-Fetch-Site``, else ``Origin``).

    SameSite=Lax keeps the session cookie off cross-site POSTs, but not off a forged *login*
    (the attacker's own account) nor a sibling subdomain's requests: both are refused here.
    Clients that are not browsers send neither header and are not affected.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    host = request.headers.get("host", "")
    return origin == "null" or urlsplit(origin).netloc.lower() != host.lower()


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every answer; ``no-store`` on all but static files.

    Pages and API answers carry secrets (CSRF tokens, a new API token, the settings): no cache keeps them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(PUBLIC_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """A request body over the limit: raised while it is received, answered 413 (a short message, no echo)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"the request body is larger than {limit} bytes")


class BodyLimit:
    """Pure ASGI middleware: refuse (413) a body over the route's limit before anything parses it.

    By ``Content-Length`` before a byte is read (in the gate, after its login and role checks: a
    caller who may not call the route is told so, 401 or 403, whatever the size it announces), and
    here by counting the chunks of a body as they arrive, announced or not. The limit is
    ``max_body_bytes``, or ``max_upload_bytes`` for the routes declared ``bulk``. The matched
    route's rule and its limit are left in the scope for the gate.
    """

    def __init__(self, app: ASGIApp, rules: RouteRules, settings: Settings) -> None:
        self.app = app
        self.rules = rules
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self.rules.match(scope)
        scope[ROUTE_RULE_KEY] = rule
        limit = self.settings.max_upload_bytes if rule is not None and rule.bulk else self.settings.max_body_bytes
        scope[BODY_LIMIT_KEY] = limit
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(limit)(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    """The request's ``Content-Length`` (0 when absent or not a number: the chunks are counted then)."""
    declared = dict(scope.get("headers", [])).get(b"content-length")
    return int(declared) if declared is not None and declared.isdigit() else 0


def _closing(send: Send) -> Send:
    """``send`` with ``Connection: close`` on the answer: a client must not keep streaming a refused body."""

    async def closing(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await send(message)

    return closing


def _too_large(limit: int) -> Response:
    return JSONResponse(
        {"detail": f"the request body is larger than {limit} bytes"}, status_code=413, headers={"Connection": "close"}
    )


MAX_PROBLEMS = 20
MAX_MESSAGE = 300


def _problem(error: Any) -> dict[str, Any]:
    """One problem of a 422 without the rejected input (FastAPI's default answer repeats it verbatim)."""
    loc = [part if isinstance(part, int) else str(part)[:MAX_MESSAGE] for part in error.get("loc", ())]
    return {"type": str(error.get("type", ""))[:64], "loc": loc, "msg": str(error.get("msg", ""))[:MAX_MESSAGE]}


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


def create_app(
    workspace: Workspace | None = None, settings: Settings | None = None, *, scheduler: bool | None = None
) -> FastAPI:
    """The ASGI app serving ``workspace`` (default: the project in $ONPACE_PROJECT or the current directory).

    ``scheduler``: run the scheduled jobs in this process (docs/scheduler.md). By default the app
    uvicorn builds (no ``workspace`` given) runs them unless ``ONPACE_SCHEDULER=off`` (``onpace serve
    --no-scheduler``), and an app built around a given workspace (tests, embedding) does not.
    """
    settings = settings or (workspace.settings if workspace else Settings())
    if scheduler is None:
        scheduler = workspace is None and scheduler_wanted()
    if workspace is None:
        workspace = Workspace(Path(os.environ.get("ONPACE_PROJECT") or "."), settings)
    ws = workspace

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # what `onpace serve` checks before starting, again for uvicorn started by hand
        await run_in_threadpool(auth.check_servable, ws.store, ws.root, settings.environment)
        jobs = None
        if scheduler:  # each process runs it; the store's claims make one of them run each tick
            from onpace.services.scheduler import Scheduler

            jobs = Scheduler(ws)
            jobs.start()
        app.state.scheduler = jobs
        try:
            yield
        finally:
            if jobs is not None:
                await run_in_threadpool(jobs.stop)
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
        if exc.status >= 500:  # the whole message (it may name the store's file or a source) goes to the log only
            log.warning("%s %s: %s", request.method, request.url.path, exc)
        body: dict[str, Any] = {"detail": exc.public_message}
        issues = getattr(exc, "issues", None)
        if issues:
            body["issues"] = [issue.to_dict() for issue in issues]
        hint = getattr(exc, "hint", None)
        if hint:
            body["hint"] = hint
        if not request.url.path.startswith("/api/"):
            return error_page(request, exc.public_message, exc.status, fragment=bool(request.headers.get("hx-request")))
        headers = {"Retry-After": "5"} if exc.status == 503 else None
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        """A 422 that names what is wrong and never repeats the input (it may be huge, or HTML)."""
        problems = [_problem(error) for error in exc.errors()[:MAX_PROBLEMS]]
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": problems}, status_code=422)
        message = "; ".join(f"{'.'.join(str(part) for part in p['loc'])}: {p['msg']}" for p in problems)
        return error_page(request, message, 422, fragment=bool(request.headers.get("hx-request")))

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> Response:
        # Swagger UI (vendored, so it works offline), started by a script file: the CSP allows no inline one
        return HTMLResponse(render_fragment("api_docs.html", openapi_url="/api/openapi.json"))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # the pages first: FastAPI tries every route of an included router, prefix or not, so a page view
    # walked the API's ~80 routes first (270 us to match '/', a fifth of a cached scorecard's CPU in
    # a py-spy profile; 31 us now). An API call pays the ~40 page routes instead (47 to 222 us), next
    # to work that takes milliseconds. No page path is under /api: the order changes no match.
    app.include_router(web_router())
    app.include_router(api_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(AuthGate, workspace=ws)
    app.add_middleware(BodyLimit, rules=RouteRules(app), settings=settings)  # before the gate reads a form
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, refusals too
    return app

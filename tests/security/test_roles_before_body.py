"""The role is checked before the body is read: a role that may not is refused (403) unread.

FastAPI reads and validates a body before any dependency or handler runs, so a viewer's 53 MB push
was parsed (70 s) before ``user.require`` refused it. Each unsafe route now declares its action
(``allowed(...)`` in api/deps.py and web/deps.py) and the server's gate refuses a role that may not
before anything reads the body. The matrix here calls the app with a ``receive`` that records
whether it was ever asked for the body.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route
from tests.api.conftest import Site
from tests.security.conftest import LiveSite

from onpace.server import PUBLIC, UNSAFE, route_rules
from onpace.services import auth
from onpace.services.workspace import Workspace

# the least role of each action, as docs/web.md's role table says (written here, not read from the code)
ROLE_ORDER = ("viewer", "editor", "strategist", "admin")
LEAST_ROLE = {
    "read": "viewer",
    "comment": "editor",
    "annotate": "editor",
    "mute": "editor",
    "send_test_messages": "editor",
    "enter_values": "editor",
    "read_generated_sql": "editor",
    "review": "strategist",
    "manage_goals": "strategist",
    "promote": "strategist",
    "refresh": "strategist",
    "manage_users": "admin",
    "manage_tokens": "admin",
    "read_audit": "admin",
}
# the unsafe routes anyone may call (no login): logging in and the first admin's setup
OPEN_UNSAFE = {("POST", "/api/login"), ("POST", "/login"), ("POST", "/setup")}


def _walk(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every route, found independently of the server's table."""
    found = []
    for route in routes:
        if hasattr(route, "original_router"):
            found += _walk(route.original_router.routes, prefix + (route.include_context.prefix or ""))
        elif isinstance(route, (APIRoute, Route)) and not isinstance(route, Mount):
            found += [(method, prefix + route.path) for method in route.methods or ()]
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "999999" if "id" in m.group(0) else "no_such_thing", path)


def test_every_unsafe_route_declares_its_action(site: Site) -> None:
    routes = site.client.app.routes  # type: ignore[attr-defined]
    unsafe = {(m, p) for m, p in _walk(routes) if m in UNSAFE}
    assert len(unsafe) > 30  # the API and the pages were really enumerated
    rules = {(m, r.path): r for r in route_rules(routes) for m in r.methods if m in UNSAFE}
    assert set(rules) == unsafe, "the server's route table misses routes"
    undeclared = sorted(key for key, rule in rules.items() if not rule.declared)
    assert not undeclared, f"unsafe routes without a declared action (add dependencies=[allowed(...)]): {undeclared}"
    open_to_anyone = {key for key, rule in rules.items() if rule.action is None}
    assert open_to_anyone == OPEN_UNSAFE
    assert {path for _, path in open_to_anyone} <= PUBLIC
    for key, rule in rules.items():
        assert rule.action is None or rule.action in LEAST_ROLE, key


def _tokens(workspace: Workspace) -> dict[str, str]:
    return {role: auth.create_token(workspace.store, role, f"matrix-{role}", actor="test").token for role in ROLE_ORDER}


def _call(app: Any, method: str, path: str, token: str, length: int) -> tuple[int, bool, bytes]:
    """Call the ASGI app; a body of ``length`` bytes is announced. (status, whether the body was read, body)."""
    read = False
    answer: dict[str, Any] = {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal read
        read = True
        return {"type": "http.request", "body": b"{" + b" " * (length - 1), "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(length).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    # in a thread of its own: a Playwright session of the same test run owns this thread's event loop
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return answer["status"], read, answer["body"]


@pytest.mark.parametrize(
    "length",
    [
        900_000,  # under the body limit: only the role can refuse it unread
        50_000_000,  # over every limit: still 403 for a role that may not (it was 413 before the role check)
    ],
)
def test_each_role_on_each_unsafe_route_is_refused_before_the_body(site: Site, length: int) -> None:
    app = site.client.app  # type: ignore[attr-defined]
    tokens = _tokens(site.workspace)
    rules = [(m, r) for r in route_rules(app.routes) for m in sorted(r.methods) if m in UNSAFE and r.action]
    assert len(rules) > 25
    refused = allowed = 0
    for method, rule in rules:
        for role in ROLE_ORDER:
            may = ROLE_ORDER.index(role) >= ROLE_ORDER.index(LEAST_ROLE[rule.action or "read"])
            status, read, body = _call(app, method, _concrete(rule.path), tokens[role], length)
            where = f"{role} {method} {rule.path}"
            if may:
                allowed += 1
                assert status != 403, (where, body[:200])
                if length > 16 << 20:  # announced over the limit: refused as too large, unread
                    assert status == 413 and not read, (where, status, body[:200])
            else:
                refused += 1
                assert status == 403, (where, status, body[:200])
                assert not read, f"{where}: the body was read before the role was refused"
                assert len(body) < 500 and rule.action.replace("_", " ") in body.decode()
    assert refused > 40 and allowed > 40


def test_a_viewers_push_is_refused_before_the_body_arrives(module_site: LiveSite) -> None:
    """On a real server: the 403 comes while the client has sent 1 KB of a 10 MB body."""
    with module_site.client("admin") as admin:
        made = admin.post("/api/tokens", json={"name": "viewer-push", "user": "viewer"})
        assert made.status_code == 201, made.text
        viewer_token = made.json()["token"]
    host, port = module_site.base.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"POST /api/metrics/field_visits/observations HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {viewer_token}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"
            + b'{"observations": ['
            + b" " * 1000
        )
        head = conn.recv(65536).decode("latin-1")
    assert head.startswith("HTTP/1.1 403"), head[:300]
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("path", ["/api/kpis", "/api/metrics/field_visits/observations"])
def test_an_anonymous_caller_announcing_a_huge_body_is_told_to_log_in(site: Site, path: str) -> None:
    """401 (who are you), not 413: the size of a body nobody may send is not worth discussing."""
    app = site.client.app  # type: ignore[attr-defined]
    status, read, body = _call(app, "POST", path, "not-a-token", 50_000_000)
    assert status == 401 and not read, (status, body[:200])


def _answer_head(app: Any, path: str, token: str, length: int) -> tuple[int, list[tuple[bytes, bytes]]]:
    """The status and headers of the app's answer to a POST announcing ``length`` bytes (never sent)."""
    heads: list[tuple[bytes, bytes]] = []
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            heads.extend((k.lower(), v) for k, v in message.get("headers", []))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(length).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return answer["status"], heads


def test_a_refused_announced_huge_body_ends_the_connection(site: Site) -> None:
    """401, 403 or 413 with the body unread: the answer says Connection: close (no streaming on)."""
    app = site.client.app  # type: ignore[attr-defined]
    viewer = _tokens(site.workspace)["viewer"]
    for token, path, want in (("not-a-token", "/api/kpis", 401), (viewer, "/api/kpis", 403), ("x", "/api/login", 413)):
        status, heads = _answer_head(app, path, token, 50_000_000)
        assert status == want
        assert (b"connection", b"close") in heads, (path, heads)
    status, heads = _answer_head(app, "/api/kpis", "not-a-token", 10)  # a small body: kept alive
    assert status == 401 and (b"connection", b"close") not in heads


def test_the_login_route_still_refuses_an_announced_huge_body(site: Site) -> None:
    app = site.client.app  # type: ignore[attr-defined]
    status, read, body = _call(app, "POST", "/api/login", "not-a-token", 50_000_000)
    assert status == 413 and not read, (status, body[:200])


@pytest.mark.parametrize("path", ["/api/kpis", "/kpis/quarterly_revenue/comments"])
def test_a_session_without_the_role_is_refused_before_its_form(site: Site, path: str) -> None:
    viewer = site.login("viewer")
    answer = viewer.post(path, json={"name": "x"} if path.startswith("/api") else None, data=None)
    assert answer.status_code == 403
    assert "viewer" in answer.text

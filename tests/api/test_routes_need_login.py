"""Every route needs a login except health, login, the first-admin setup and static files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Mount, Route
from tests.api.conftest import Site

from onpace.server import PUBLIC

OPEN = {"/healthz", "/api/health", "/login", "/api/login", "/setup"}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "1" if "id" in m.group(0) else "x", path)


def test_public_paths_are_exactly_health_login_and_setup() -> None:
    assert set(PUBLIC) == OPEN


def all_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, method, route) of every route, through included routers (FastAPI includes them lazily)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from all_routes(route.original_router.routes, prefix + (route.include_context.prefix or ""))
        elif isinstance(route, Mount):
            yield prefix + route.path, "GET", route
        else:
            assert isinstance(route, (APIRoute, Route)), route
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    yield prefix + route.path, method, route


def test_every_route_refuses_an_anonymous_request(site: Site) -> None:
    checked = 0
    for path, method, route in all_routes(site.client.app.routes):  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            assert path == "/static", f"unexpected mount {path}"
            continue
        if path in OPEN:
            continue
        checked += 1
        answer = site.client.request(method, _concrete(path), follow_redirects=False)
        if path.startswith("/api"):
            assert answer.status_code == 401, (method, path, answer.status_code, answer.text[:200])
        else:
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/login?next=")
    assert checked > 50  # the API and the pages were really enumerated


def test_a_bad_token_is_refused_and_a_good_one_works(site: Site) -> None:
    assert site.client.get("/api/kpis", headers={"Authorization": "Bearer onp_nope"}).status_code == 401
    admin = site.login("admin")
    made = admin.post("/api/tokens", json={"name": "ci", "user": "viewer"})
    assert made.status_code == 201
    token = made.json()["token"]
    answer = site.client.get("/api/kpis", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and len(answer.json()) > 0
    # a token needs no CSRF header, but keeps its user's role: a viewer cannot comment
    kpi = answer.json()[0]["kpi"]
    refused = site.client.post(
        f"/api/kpis/{kpi}/comments", json={"body": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 403
    listed = admin.get("/api/tokens").json()
    assert all("token" not in t for t in listed) and listed[0]["prefix"] == token[:8]
    admin.delete(f"/api/tokens/{made.json()['id']}")
    assert site.client.get("/api/kpis", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_static_files_and_health_are_open(site: Site) -> None:
    assert site.client.get("/static/app.css").status_code == 200
    assert site.client.get("/static/vendor/echarts.min.js").status_code == 200
    assert site.client.get("/api/health").json()["status"] == "ok"

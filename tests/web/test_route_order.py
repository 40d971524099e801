"""The pages' routes are tried before the API's, and the order changes no answer.

FastAPI tries every route of an included router in turn, prefix or not: with the API's ~80 routes
first, every page view was matched against all of them before its own (a fifth of a cached
scorecard's CPU in a profile).
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Match
from tests.site_fixtures import Site

PAGES = [("GET", "/"), ("GET", "/kpis/revenue_growth"), ("GET", "/alerts"), ("POST", "/login"), ("GET", "/health")]
API = [("GET", "/api/kpis"), ("POST", "/api/login"), ("GET", "/api/health"), ("GET", "/api/runs")]


def _matching(app: Any, method: str, path: str) -> list[int]:
    """The positions of the app's routes that match ``method path`` fully, in the order they are tried."""
    scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
    return [i for i, route in enumerate(app.router.routes) if route.matches(scope)[0] == Match.FULL]


def _prefix(route: Any) -> str:
    """An included router's prefix (its own, or the one it was included under); a route's path."""
    router = getattr(route, "original_router", None)
    context = getattr(route, "include_context", None)
    return str(getattr(router, "prefix", None) or getattr(context, "prefix", None) or getattr(route, "path", ""))


def test_pages_are_tried_before_the_api(site: Site) -> None:
    app = site.client.app
    pages = [_matching(app, m, p) for m, p in PAGES]
    api = [_matching(app, m, p) for m, p in API]
    assert all(pages) and all(api), (pages, api)
    assert max(found[0] for found in pages) < min(found[0] for found in api)


def test_each_path_matches_one_route_so_the_order_changes_no_answer(site: Site) -> None:
    app = site.client.app
    for method, path in PAGES + API:
        [only] = _matching(app, method, path)
        assert _prefix(app.router.routes[only]).startswith("/api") == path.startswith("/api"), path


def test_a_page_is_still_served_and_an_api_call_still_answers(site: Site) -> None:
    client = site.login("viewer")
    assert client.get("/").status_code == 200
    assert client.get("/api/kpis").status_code == 200

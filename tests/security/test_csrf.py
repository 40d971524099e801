"""CSRF: a browser session's unsafe requests need the session's token; API tokens need none.

Every unsafe route (walked from the app, so a new route is covered without anyone listing it) is
refused with 403 when a session cookie comes without the ``X-CSRF-Token`` header or ``csrf_token``
form field, or with another session's token. A real cross-site form in Chromium changes nothing.
The session cookie is HttpOnly and SameSite=Lax, and Secure outside development.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Route
from tests.api.conftest import PASSWORD, Site
from tests.security.conftest import LiveSite, browser_login

from onpace.config import Settings
from onpace.server import create_app
from onpace.services.workspace import Workspace

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
OPEN = {"/login", "/setup", "/api/login"}  # open without a login: no session to forge a request for


def unsafe_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every unsafe route of the app, included routers walked under their prefix."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from unsafe_routes(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, Route):
            for method in sorted(set(route.methods or ()) & set(UNSAFE)):
                yield method, prefix + route.path
        elif hasattr(route, "routes") and getattr(route, "path", None) is not None:  # a plain included router
            yield from unsafe_routes(list(route.routes), prefix + route.path)


def concrete(path: str) -> str:
    """The path with every parameter filled in (``1`` fits both names and ids)."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _routes(site: Site) -> list[tuple[str, str]]:
    found = [(m, p) for m, p in unsafe_routes(list(site.client.app.routes)) if p not in OPEN]
    assert len(found) >= 20, found  # the walk found the API's and the pages' writes
    assert ("POST", "/settings/users") in found and ("DELETE", "/api/kpis/{name}") in found, found
    return found


def _refused(answer: Any) -> bool:
    return answer.status_code == 403 and "csrf" in answer.text.lower()


def test_every_unsafe_route_needs_the_token(site: Site) -> None:
    admin = site.login("admin")
    token = admin.headers.pop("X-CSRF-Token")
    for method, path in _routes(site):
        url = concrete(path)
        missing = admin.request(method, url, json={})
        assert _refused(missing), (method, path, missing.status_code, missing.text[:200])
        wrong = admin.request(method, url, json={}, headers={"X-CSRF-Token": token[:-2] + "xx"})
        assert _refused(wrong), (method, path, wrong.status_code, wrong.text[:200])
        form = admin.request(method, url, data={"csrf_token": "", "name": "x"})
        assert _refused(form), (method, path, form.status_code, form.text[:200])
    # the right token passes the check (what the route then answers is its own business)
    answer = admin.post("/api/objectives", json={"name": "with_token"}, headers={"X-CSRF-Token": token})
    assert not _refused(answer), answer.text


def test_a_refused_request_changes_nothing(site: Site) -> None:
    admin = site.login("admin")
    admin.headers.pop("X-CSRF-Token")
    assert _refused(admin.post("/api/objectives", json={"name": "forged", "label": "Forged"}))
    assert _refused(admin.post("/settings/users", data={"name": "mallory", "password": PASSWORD, "role": "admin"}))
    assert _refused(admin.post("/api/kpis/quarterly_revenue/comments", json={"body": "forged"}))
    assert _refused(admin.post("/logout"))
    other = site.login("admin")
    assert other.get("/api/objectives/forged").status_code == 404
    assert "mallory" not in [u["name"] for u in other.get("/api/users").json()]
    assert "forged" not in [c["body"] for c in other.get("/api/kpis/quarterly_revenue/comments").json()]
    assert admin.get("/api/me").status_code == 200  # still logged in: the logout was refused too


def test_another_sessions_token_is_refused(site: Site) -> None:
    admin = site.login("admin")
    other = site.login("admin")  # the same person in another browser: another session, another token
    assert admin.headers["X-CSRF-Token"] != other.headers["X-CSRF-Token"]
    admin.headers["X-CSRF-Token"] = other.headers["X-CSRF-Token"]
    assert _refused(admin.post("/api/objectives", json={"name": "crossed"}))
    viewer = site.login("viewer")
    admin.headers["X-CSRF-Token"] = viewer.headers["X-CSRF-Token"]
    assert _refused(admin.post("/api/objectives", json={"name": "crossed"}))


def test_the_form_field_works_for_forms(site: Site) -> None:
    admin = site.login("admin")
    token = admin.headers.pop("X-CSRF-Token")
    answer = admin.post("/settings/tokens", data={"name": "from a form", "csrf_token": token})
    assert answer.status_code == 200, answer.text
    assert "from a form" in answer.text


def test_api_tokens_need_no_csrf_token(site: Site) -> None:
    made = site.login("admin").post("/api/tokens", json={"name": "script"})
    assert made.status_code == 201, made.text
    bearer = {"Authorization": f"Bearer {made.json()['token']}"}
    client = TestClient(site.client.app)  # no cookie, no CSRF token
    answer = client.post("/api/objectives", json={"name": "by_script"}, headers=bearer)
    assert answer.status_code == 201, answer.text
    answer = client.post("/api/kpis/quarterly_revenue/comments", json={"body": "from a script"}, headers=bearer)
    assert answer.status_code == 201, answer.text
    # a bearer header that is not a valid token is no login, whatever cookie comes with it
    cookie = site.login("admin")
    answer = cookie.post(
        "/api/objectives", json={"name": "by_forgery"}, headers={"Authorization": "Bearer not-a-token"}
    )
    assert answer.status_code == 401, answer.text


# -- the session cookie ------------------------------------------------------------------------------


def _session_cookie(answer: Any) -> str:
    cookies = [v for k, v in answer.headers.multi_items() if k.lower() == "set-cookie" and "onpace_session=" in v]
    assert len(cookies) == 1, answer.headers
    return cookies[0].lower()


@pytest.mark.parametrize("environment", ["development", "production"])
def test_session_cookie_attributes(site: Site, environment: str) -> None:
    root = site.root
    settings = Settings(database_url=f"sqlite:///{(root / '.onpace' / 'store.db').as_posix()}", environment=environment)
    app = create_app(Workspace(root, settings), settings)
    with TestClient(app, base_url="https://testserver") as client:
        for answer in (
            client.post("/api/login", json={"name": "viewer", "password": PASSWORD}),
            client.post("/login", data={"name": "viewer", "password": PASSWORD}, follow_redirects=False),
        ):
            assert answer.status_code in (200, 303), answer.text
            cookie = _session_cookie(answer)
            assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie, cookie
            assert ("secure" in cookie.split("; ")) is (environment == "production"), cookie


# -- a real cross-site form, in Chromium ----------------------------------------------------------------


class _Attacker(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def attacker() -> Iterator[tuple[str, type[_Attacker]]]:
    """Another site: http://localhost:<port> (the app is on 127.0.0.1: another host, another site)."""
    handler = type("Handler", (_Attacker,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_cross_site_form_changes_nothing(browser: Any, module_site: LiveSite, attacker: Any) -> None:
    base = module_site.base
    evil, handler = attacker
    handler.page = f"""<!doctype html><body>
<form id=f method=post action="{base}/settings/users">
<input name=name value=mallory><input name=password value="{PASSWORD}"><input name=role value=admin>
<input name=csrf_token value=guessed></form>
<script>
fetch("{base}/api/objectives", {{method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{name: "forged_by_fetch"}})}})
  .finally(() => document.getElementById("f").submit());
</script></body>""".encode()
    context = browser_login(browser, base, "admin")
    try:
        page = context.new_page()
        with page.expect_navigation(url=re.compile(re.escape(base))):
            page.goto(f"{evil}/")
        page.wait_for_load_state("networkidle")
        assert "mallory" not in page.content()
    finally:
        context.close()
    with module_site.client("admin") as admin:
        assert "mallory" not in [u["name"] for u in admin.get("/api/users").json()]
        assert admin.get("/api/objectives/forged_by_fetch").status_code == 404


def test_browser_pages_send_the_token(browser: Any, module_site: LiveSite) -> None:
    """The other side of the check: the app's own HTMX forms and plain forms carry the token and work."""
    base = module_site.base
    context = browser_login(browser, base, "admin")
    try:
        page = context.new_page()
        page.goto(f"{base}/settings")
        form = page.locator("form[action='/settings/tokens']")
        form.locator("input[name=name]").fill("made in the browser")
        form.locator("button").click()
        page.wait_for_selector("[data-testid=new-token]")
        page.goto(f"{base}/kpis/quarterly_revenue")
        page.fill("[data-testid=comment-form] textarea", "a comment from the page")
        page.click("[data-testid=comment-form] button")
        page.wait_for_selector("[data-testid=comment] >> text=a comment from the page")
    finally:
        context.close()


def test_a_cross_site_login_form_does_not_log_in(browser: Any, module_site: LiveSite, attacker: Any) -> None:
    """Login CSRF: another site's form must not log the visitor in as the attacker's account."""
    base = module_site.base
    evil, handler = attacker
    handler.page = f"""<!doctype html><body><form id=f method=post action="{base}/login">
<input name=name value=viewer><input name=password value="{PASSWORD}"><input name=next value="/"></form>
<script>document.getElementById("f").submit()</script></body>""".encode()
    context = browser.new_context()
    try:
        page = context.new_page()
        with page.expect_navigation(url=re.compile(re.escape(base))):
            page.goto(f"{evil}/")
        page.wait_for_load_state("networkidle")
        assert not [c for c in context.cookies(base) if c["name"] == "onpace_session"], context.cookies(base)
    finally:
        context.close()


def test_a_cross_site_request_is_refused_by_its_origin_headers(site: Site) -> None:
    """Login CSRF and cross-site writes by the headers browsers send (``Sec-Fetch-Site``, else ``Origin``).

    A browser on another site may post a login form (SameSite=Lax does not stop a top-level POST);
    clients that are not browsers send neither header and are not affected.
    """
    login = {"name": "viewer", "password": PASSWORD}
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
    ):
        answer = site.client.post("/login", data=login, headers=headers, follow_redirects=False)
        assert answer.status_code == 403, (headers, answer.status_code)
        assert "onpace_session" not in answer.cookies
        assert site.client.post("/api/login", json=login, headers=headers).status_code == 403
    same = site.client.post(
        "/api/login", json=login, headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    )
    assert same.status_code == 200, same.text
    assert site.client.post("/api/login", json=login, headers={"Origin": "http://testserver"}).status_code == 200
    assert site.client.post("/api/login", json=login).status_code == 200  # a script: neither header
    # a logged-in session's write from another site is refused even with the right CSRF token
    admin = site.login("admin")
    answer = admin.post("/api/tokens", json={"user": "viewer", "name": "x"}, headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403

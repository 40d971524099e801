"""Security headers on every answer, request body limits (413 before parsing), download file names.

Issue 13: no Content-Security-Policy, no nosniff or frame protection, no ``no-store`` on pages that
show secrets; a 50 MB anonymous ``/api/login`` body was read and echoed, a viewer's 53 MB push
blocked the server; ``export.csv`` of a segment outside Latin-1, or with CR/LF, answered 500.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi.testclient import TestClient
from tests.api.conftest import Site, settings_for
from tests.security.conftest import LiveSite, browser_login

from onpace.server import create_app
from onpace.services.workspace import Workspace

HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}
PAGES = ["/", "/tv", "/metrics", "/metrics/revenue", "/kpis/quarterly_revenue", "/reviews", "/health", "/settings"]


def _csp(answer: Any) -> dict[str, str]:
    policy = answer.headers["content-security-policy"]
    return {d.split()[0]: d.strip() for d in policy.split(";") if d.strip()}


def _assert_headers(answer: Any, *, cached: bool = False) -> None:
    for name, value in HEADERS.items():
        assert answer.headers.get(name) == value, (answer.request.url, name, answer.headers.get(name))
    csp = _csp(answer)
    assert csp["script-src"] == "script-src 'self'", csp
    assert "'unsafe-inline'" not in csp.get("default-src", "") and "unsafe-eval" not in str(csp)
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'" and csp["base-uri"] == "base-uri 'none'"
    assert csp["form-action"] == "form-action 'self'"
    if not cached:
        assert answer.headers.get("cache-control") == "no-store", (answer.request.url, answer.headers)


def test_every_kind_of_answer_carries_the_headers(site: Site) -> None:
    anonymous = site.client
    _assert_headers(anonymous.get("/login"))
    _assert_headers(anonymous.get("/api/kpis"))  # 401
    _assert_headers(anonymous.get("/", follow_redirects=False))  # 303 to the login
    _assert_headers(anonymous.get("/api/health"))
    static = anonymous.get("/static/app.js")
    _assert_headers(static, cached=True)
    assert static.headers.get("cache-control") != "no-store"  # static files may be cached
    login = anonymous.post("/api/login", json={"name": "admin", "password": "a long enough password"})
    _assert_headers(login)  # carries the session's CSRF token
    admin = site.login("admin")
    for path in PAGES:
        answer = admin.get(path)
        assert answer.status_code == 200, path
        _assert_headers(answer)
    made = admin.post("/api/tokens", json={"name": "ci", "user": "viewer"})
    assert made.status_code == 201 and "token" in made.json()
    _assert_headers(made)  # the secret is in this answer: never cached
    _assert_headers(admin.post("/settings/tokens", data={"name": "web", "owner": "viewer"}))
    _assert_headers(site.login("viewer").get("/settings"))  # 403
    _assert_headers(admin.get("/api/kpis/no_such_kpi"))  # 404
    _assert_headers(admin.get("/api/docs"))


class _Scripts(HTMLParser):
    """Inline scripts and event handler attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on") or (value or "").strip().startswith("javascript:"):
                self.inline.append(f"<{tag} {name}={value!r}>")
            if name in ("hx-vals", "hx-headers") and (value or "").lstrip().startswith(("js:", "javascript:")):
                self.inline.append(f"<{tag} {name}={value!r}>")
        self._in_script = tag == "script" and "src" not in names

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(f"<script>{data.strip()[:80]}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_no_page_has_an_inline_script_or_handler(site: Site) -> None:
    admin = site.login("admin")
    for path in [*PAGES, "/api/docs", "/kpis/quarterly_revenue/breakdown?by=region"]:
        answer = admin.get(path)
        assert answer.status_code == 200, path
        parser = _Scripts()
        parser.feed(answer.text)
        assert not parser.inline, (path, parser.inline)
    anonymous = site.client.get("/login")
    parser = _Scripts()
    parser.feed(anonymous.text)
    assert not parser.inline


# -- body limits --------------------------------------------------------------------------------------


def test_a_large_anonymous_login_is_refused_unread_and_not_echoed(site: Site) -> None:
    big = '{"name": "' + "<b>" * 700_000 + '", "password": "x"}'  # 2 MB
    started = time.monotonic()
    answer = site.client.post("/api/login", content=big, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert len(answer.content) < 300 and "<b>" not in answer.text
    assert time.monotonic() - started < 5
    _assert_headers(answer)


def test_a_body_without_content_length_is_counted(site: Site) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MB in all, sent chunked (no Content-Length)
        yield b'", "password": "x"}'

    answer = site.client.post("/api/login", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413 and len(answer.content) < 300


def test_forms_are_limited_before_the_csrf_check_reads_them(site: Site) -> None:
    viewer = site.login("viewer")
    del viewer.headers["X-CSRF-Token"]  # so the gate would read the form for its csrf_token field
    answer = viewer.post("/logout", data={"csrf_token": "x", "pad": "y" * (2 << 20)})
    assert answer.status_code == 413


def test_bulk_routes_take_more_and_are_limited_too(tpch_site_template: Path, tmp_path: Path) -> None:
    """The bulk routes take up to max_upload_bytes, every other route max_body_bytes (small here, so it is quick)."""
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    settings = settings_for(root).model_copy(update={"max_body_bytes": 8 << 10, "max_upload_bytes": 64 << 10})
    with TestClient(create_app(Workspace(root, settings))) as client:
        login = client.post("/api/login", json={"name": "editor", "password": "a long enough password"})
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        rows = [
            {"period": f"1998-01-{1 + i % 28:02d}", "value": i, "segment": f"{i:05d}" + "s" * 100} for i in range(300)
        ]
        body = json.dumps({"observations": rows}).encode()
        assert 8 << 10 < len(body) < 64 << 10  # more than other routes take, less than the bulk limit
        pushed = client.post(
            "/api/metrics/field_visits/observations", content=body, headers={"content-type": "application/json"}
        )
        assert pushed.status_code == 200, pushed.text[:300]
        huge = client.post(
            "/api/metrics/field_visits/observations",
            content=b'{"observations": [' + b" " * (65 << 10) + b"]}",
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413
        csv = "metric,period,value,segment\n" + "".join(
            f"field_visits,1998-02-01,1,{i:06d}{'x' * 50}\n" for i in range(400)
        )
        assert 8 << 10 < len(csv) < 64 << 10
        uploaded = client.post("/api/values/import", files={"file": ("values.csv", csv.encode(), "text/csv")})
        assert uploaded.status_code == 200, uploaded.text[:300]
        too_big = client.post("/api/values/import", files={"file": ("values.csv", csv.encode() * 3, "text/csv")})
        assert too_big.status_code == 413
        # every other route keeps the small limit
        note = client.post("/api/kpis/quarterly_revenue/comments", json={"text": "x" * (9 << 10)})
        assert note.status_code == 413


def test_the_limit_is_a_setting(tpch_site_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    settings = settings_for(root).model_copy(update={"max_body_bytes": 4096})
    with TestClient(create_app(Workspace(root, settings))) as client:
        small = client.post("/api/login", json={"name": "admin", "password": "a long enough password"})
        assert small.status_code == 200
        padded = client.post("/api/login", json={"name": "admin", "password": "x" * 5000})
        assert padded.status_code == 413


def test_a_50_mb_login_on_a_real_server_is_answered_before_the_body(module_site: LiveSite) -> None:
    host, port = module_site.base.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 52428800\r\n\r\n" + b'{"name": "' + b"a" * 4096
        )
        head = conn.recv(65536).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head[:300]
    assert len(head) < 2000 and "aaaa" not in head
    assert time.monotonic() - started < 5


# -- download names (issue 13 item 12) ------------------------------------------------------------------


def _disposition(answer: Any) -> tuple[str, str]:
    value = answer.headers["content-disposition"]
    value.encode("ascii")  # the header is ASCII whatever the name
    assert "\r" not in value and "\n" not in value
    fallback = re.search(r'filename="([^"]*)"', value)
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", value)
    assert fallback and encoded, value
    return fallback.group(1), unquote(encoded.group(1))


NAMES = {  # segment -> the file name the browser is given
    "Zürich": "export_names-Zürich.csv",
    "東京 “north”": "export_names-東京 “north”.csv",
    "EUROPE\r\nSet-Cookie: stolen=1": "export_names-EUROPESet-Cookie: stolen=1.csv",
    'a"b\\c/d': "export_names-ab_c_d.csv",
}


def test_export_names_any_segment_with_rfc_6266_filenames(site: Site) -> None:
    strategist = site.login("strategist")
    made = strategist.post(
        "/api/kpis",
        json={
            "name": "export_names",
            "metric": "orders",
            "segment_by": "region",
            "objective": "grow_sales",
            "owner": "Head of Sales",
            "timeframe": {"every": "quarter"},
            "review_cadence": "monthly",
            "targets": [{"segment": segment, "at_least": 1} for segment in NAMES],
        },
    )
    assert made.status_code == 201, made.text
    viewer = site.login("viewer")
    for segment, expected in NAMES.items():
        answer = viewer.get("/kpis/export_names/export.csv", params={"segment": segment})
        assert answer.status_code == 200, (segment, answer.text[:200])
        assert "set-cookie" not in answer.headers
        fallback, name = _disposition(answer)
        assert name == expected
        assert fallback.startswith("export_names-") and fallback.endswith(".csv")
        assert all(32 <= ord(c) < 127 and c not in '"\\' for c in fallback), fallback


def test_export_without_a_segment_keeps_its_plain_name(site: Site) -> None:
    answer = site.login("viewer").get("/kpis/quarterly_revenue/export.csv")
    assert answer.status_code == 200
    assert _disposition(answer) == ("quarterly_revenue.csv", "quarterly_revenue.csv")


# -- the pages work under the policy (Chromium) -----------------------------------------------------------


def test_pages_work_under_the_policy_without_a_violation(browser: Any, module_site: LiveSite) -> None:
    base = module_site.base
    context = browser_login(browser, base, "admin")
    problems: list[str] = []
    context.expose_binding("__onpaceViolation", lambda source, text: problems.append(f"{source['page'].url}: {text}"))
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => window.__onpaceViolation("
        "e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));"
    )
    page = context.new_page()
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    try:
        page.goto(f"{base}/")
        page.wait_for_selector("[data-testid=kpi-card]")
        page.select_option("[data-testid=status-filter]", "missed")  # HTMX swaps the board
        page.wait_for_url(re.compile(r"status=missed"))
        page.goto(f"{base}/kpis/quarterly_revenue")
        page.wait_for_selector("#kpi-chart svg")  # ECharts drew the chart
        page.wait_for_selector("[data-testid=breakdown] table")  # HTMX loaded the breakdown
        page.fill("[data-testid=comment-form] textarea", "under the policy")
        page.click("[data-testid=comment-form] button")
        page.wait_for_selector("#comments :text('under the policy')")
        assert page.input_value("[data-testid=comment-form] textarea") == ""  # reset without hx-on
        page.goto(f"{base}/metrics/revenue")
        page.wait_for_selector("#metric-chart svg")
        page.goto(f"{base}/metrics")
        page.fill("input[name=q]", "revenue")
        page.wait_for_url(re.compile(r"q=revenue"))
        page.goto(f"{base}/settings")
        page.wait_for_selector("text=API tokens")
        page.goto(f"{base}/api/docs")
        page.wait_for_selector(".swagger-ui .info .title")  # Swagger UI started from its script file
        page.wait_for_selector(".opblock")
        page.wait_for_timeout(300)
        assert not problems, problems
    finally:
        context.close()

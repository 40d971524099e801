"""Error bodies are never inserted into a page as HTML, and never repeat the rejected input.

Issue 13's stored XSS: FastAPI's 422 repeated the rejected input verbatim, app.js swapped every 4xx
into the page as HTML, and a segment target (or owner) longer than the breakdown's (or the Owner
filter's) query parameter accepts made the admin's own page request fail with the payload in it.
Now: the 422 handler names the problem without the input, pages answer an escaped fragment marked
``X-Onpace-Fragment``, app.js swaps only that and shows any other error body as text, and the
definitions accept no longer owner or segment than the pages take back.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from tests.api.conftest import Site
from tests.security.conftest import LiveSite, browser_login

from onpace.catalog import models as m

PAYLOAD = '<img src=x id=pwned onerror="window.__pwned=1">'


def test_an_api_422_names_the_problem_without_the_input(site: Site) -> None:
    viewer = site.login("viewer")
    long = PAYLOAD + "x" * 600
    answer = viewer.get("/api/kpis/quarterly_revenue/chart", params={"segment": long})
    assert answer.status_code == 422
    assert "<img" not in answer.text and "xxxxxxxx" not in answer.text
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["query", "segment"] and "500" in problem["msg"]
    assert "input" not in problem and "ctx" not in problem
    body = {"name": "admin", "password": "p", "extra": PAYLOAD * 1000}
    refused = site.client.post("/api/login", json={**body, "name": ""})
    assert refused.status_code == 422 and len(refused.content) < 1000 and "<img" not in refused.text


def test_a_page_422_is_an_escaped_fragment_for_htmx_and_a_page_otherwise(site: Site) -> None:
    viewer = site.login("viewer")
    query = {"by": "region", "where": PAYLOAD + "x" * 600}
    fragment = viewer.get("/kpis/quarterly_revenue/breakdown", params=query, headers={"HX-Request": "true"})
    assert fragment.status_code == 422
    assert fragment.headers["x-onpace-fragment"] == "error"
    assert fragment.headers["content-type"].startswith("text/html")
    assert "<img" not in fragment.text and "<html" not in fragment.text and 'data-testid="error"' in fragment.text
    full = viewer.get("/kpis/quarterly_revenue/breakdown", params=query)
    assert full.status_code == 422 and "<html" in full.text and "<img" not in full.text
    assert "x-onpace-fragment" not in full.headers
    # an error fragment escapes what it repeats from the request
    unknown = viewer.get(f"/kpis/{quote(PAYLOAD)}", headers={"HX-Request": "true"})
    assert unknown.status_code == 404 and "&lt;img" in unknown.text and "<img" not in unknown.text


def _kpi(name: str, owner: str, segment: str) -> dict[str, Any]:
    return {
        "name": name,
        "metric": "orders",
        "segment_by": "region",
        "objective": "grow_sales",
        "owner": owner,
        "timeframe": {"every": "quarter"},
        "review_cadence": "monthly",
        "targets": [{"segment": segment, "at_least": 1}, {"segment": "EUROPE", "at_least": 1}],
    }


def test_what_a_definition_accepts_the_pages_take_back(site: Site) -> None:
    strategist = site.login("strategist")
    longest_owner = "o" * m.MAX_NAME_TEXT
    longest_segment = "s" * m.MAX_SEGMENT
    too_long = strategist.post("/api/kpis", json=_kpi("too_long_owner", longest_owner + "o", "EMEA"))
    assert too_long.status_code == 422 and "owner" in too_long.text
    too_long = strategist.post("/api/kpis", json=_kpi("too_long_segment", "CFO", longest_segment + "s"))
    assert too_long.status_code == 422 and "segment" in too_long.text
    made = strategist.post("/api/kpis", json=_kpi("longest", longest_owner, longest_segment))
    assert made.status_code == 201, made.text
    admin = site.login("admin")
    assert admin.get("/", params={"owner": longest_owner}).status_code == 200
    assert admin.get("/api/kpis", params={"owner": longest_owner}).status_code == 200
    for path in ("/kpis/longest", "/kpis/longest/export.csv", "/api/kpis/longest/chart", "/api/kpis/longest/periods"):
        assert admin.get(path, params={"segment": longest_segment}).status_code == 200, path
    breakdown = admin.get(
        "/kpis/longest/breakdown", params={"by": "region", "segment": longest_segment}, headers={"HX-Request": "true"}
    )
    assert breakdown.status_code == 200, breakdown.text[:300]


def test_app_js_shows_an_error_body_as_text(browser: Any, module_site: LiveSite) -> None:
    """A 4xx that is not our escaped fragment is shown as text; our fragment is swapped in (escaped)."""
    context = browser_login(browser, module_site.base, "admin")
    page = context.new_page()
    answers = iter(
        [
            {
                "status": 422,
                "content_type": "application/json",
                "body": json.dumps({"detail": [{"loc": ["query", "segment"], "msg": PAYLOAD, "type": "x"}]}),
            },
            {"status": 400, "content_type": "text/html", "body": PAYLOAD},
        ]
    )

    def forged(route: Any) -> None:
        route.fulfill(**next(answers))

    try:
        page.route("**/kpis/quarterly_revenue/breakdown?**", forged)
        page.goto(f"{module_site.base}/kpis/quarterly_revenue")
        error = page.wait_for_selector("#breakdown [data-testid=error]")
        assert PAYLOAD in error.text_content()  # the JSON's message, as text
        assert page.locator("#pwned").count() == 0
        page.select_option("[data-testid=breakdown-by]", index=1)  # the HTML 400 without the marker
        page.wait_for_selector("#breakdown [data-testid=error]:has-text('refused the request (400)')")
        assert page.locator("#pwned").count() == 0
        page.unroute("**/kpis/quarterly_revenue/breakdown?**")
        # the server's own error fragment (a 422 for a too long filter) is swapped in, escaped
        page.route(
            "**/kpis/quarterly_revenue/breakdown?**",
            lambda route: route.continue_(url=route.request.url + "&where=" + quote(PAYLOAD + "x" * 600)),
        )
        page.select_option("[data-testid=breakdown-by]", index=0)
        page.wait_for_selector("#breakdown p.error:has-text('where')")
        assert page.locator("#pwned").count() == 0
        assert page.evaluate("window.__pwned") is None
    finally:
        context.close()

"""Every page in a real browser at a laptop's and a phone's width, and what a reader needs on them.

- No page scrolls sideways at 1440 or 390 px wide (``document.documentElement.scrollWidth``).
- The scorecard and the KPI page say what day their data runs until, how far into its period each
  KPI is, and why each verdict is what it is; a date picker shows them as of an earlier day.
- The scorecard lists objectives worst first, and a status filter hides KPIs without changing an
  objective's own status; TV mode fits the screen and pages through every objective by itself.
- A metric chart draws a period the data covers only in part apart from the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.e2e.conftest import ARTIFACTS
from tests.site_fixtures import PASSWORD

WIDTHS = (1440, 390)
PAGES = (
    "/",
    "/?as_of=1998-05-31",
    "/kpis/quarterly_revenue",
    "/kpis/revenue_growth?as_of=1998-05-31",
    "/kpis/orders_by_region?segment=EUROPE",
    "/metrics",
    "/metrics/revenue",
    "/metrics/revenue?by=region",
    "/reviews",
    "/health",
    "/settings",
    "/tv",
    "/api/docs",
)
SEVERITY = {"off_track": 0, "at_risk": 1, "on_track": 2, "no_data": 3}
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _logged_in(browser: Any, base: str, width: int, name: str = "admin") -> Any:
    height = 900 if width > 500 else 844
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


@pytest.fixture
def admin(browser: Any, live_site: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    page = _logged_in(browser, live_site, getattr(request, "param", 1440))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, errors
    page.context.close()


def _width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(browser: Any, live_site: str, width: int) -> None:
    page = _logged_in(browser, live_site, width)
    wide = {}
    for path in PAGES:
        answer = page.goto(f"{live_site}{path}")
        assert answer is not None and answer.status == 200, (path, answer and answer.status)
        if path == "/api/docs":
            page.wait_for_selector(".swagger-ui .info")
        if path.startswith(("/kpis/", "/metrics/")):
            page.wait_for_selector(".chart svg")  # ECharts drew the chart: the page at its full width
        if path.startswith("/kpis/"):
            page.wait_for_selector("[data-testid=breakdown-table]")
        if _width(page) > width:
            wide[path] = _width(page)
        name = re.sub(r"\W+", "-", path).strip("-") or "scorecard"
        page.screenshot(path=str(ARTIFACTS / f"page-{name}-{width}.png"), full_page=True)
    page.context.clear_cookies()  # the pages of a visitor who is not logged in
    for path in ("/login",):
        page.goto(f"{live_site}{path}")
        if _width(page) > width:
            wide[path] = _width(page)
    assert not wide, f"pages wider than {width}px: {wide}"
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_scorecard_says_its_data_day_and_why(browser: Any, live_site: str, width: int) -> None:
    page = _logged_in(browser, live_site, width)
    until = page.locator("[data-testid=data-until]")
    assert until.is_visible() and ISO_DAY.fullmatch(until.inner_text()), until.inner_text()
    cards = page.locator("[data-testid=kpi-card]")
    assert cards.count() >= 10
    # each card: how far into its period, and the verdict's reason
    assert page.locator("[data-testid=kpi-card] [data-testid=elapsed]").count() == cards.count()
    reasons = page.locator("[data-testid=kpi-card] [data-testid=reason]")
    assert reasons.count() == cards.count()
    assert reasons.first.is_visible() and len(reasons.first.inner_text()) > 10
    assert re.search(r"\d+% of the period", cards.first.inner_text())

    # as of an earlier day: the date picker shows the scorecard as it was then
    page.fill("[data-testid=as-of-date]", "1998-05-31")
    page.click("[data-testid=as-of-show]")
    page.wait_for_url(re.compile(r"as_of=1998-05-31"))
    assert "As of 1998-05-31" in page.locator("[data-testid=as-of]").inner_text()
    assert page.locator("[data-testid=data-until]").inner_text() <= "1998-05-31"
    assert page.locator("[data-testid=kpi-card] [data-testid=reason]").count() == cards.count()
    page.screenshot(path=str(ARTIFACTS / f"scorecard-as-of-{width}.png"), full_page=True)

    # a KPI card keeps the date when it is opened
    page.locator("[data-testid=kpi-card][data-kpi=quarterly_revenue]").click()
    page.wait_for_url(re.compile(r"/kpis/quarterly_revenue\?as_of=1998-05-31"))
    assert "As of 1998-05-31" in page.locator("[data-testid=as-of]").inner_text()
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_kpi_page_says_its_data_day_and_why(browser: Any, live_site: str, width: int) -> None:
    page = _logged_in(browser, live_site, width)
    page.goto(f"{live_site}/kpis/quarterly_revenue")
    reason = page.locator("[data-testid=reason]")
    assert reason.is_visible() and len(reason.inner_text()) > 10
    line = page.locator("[data-testid=as-of]")
    assert line.is_visible() and re.search(r"Data until \d{4}-\d{2}-\d{2}", line.inner_text()), line.inner_text()
    assert re.search(r"\d+% of the period", line.inner_text())
    # the breadcrumb names the objective as people call it
    assert page.locator(".crumbs a").last.inner_text() == "Grow sales"

    page.fill("[data-testid=as-of-date]", "1998-05-31")
    page.locator("[data-testid=as-of-form] button").click()
    page.wait_for_url(re.compile(r"as_of=1998-05-31"))
    assert "As of 1998-05-31" in page.locator("[data-testid=as-of]").inner_text()
    assert page.locator("[data-testid=reason]").is_visible()
    page.context.close()


def test_a_date_that_is_not_one_is_refused_clearly(admin: Any, live_site: str) -> None:
    answer = admin.goto(f"{live_site}/?as_of=1998-13-01")
    assert answer is not None and answer.status == 400
    assert "as_of: expected a date written YYYY-MM-DD" in admin.locator(".error").inner_text()


def _objective_statuses(page: Any) -> list[tuple[str, str]]:
    found = page.locator("[data-testid=objective]")
    return [
        (
            found.nth(i).get_attribute("data-objective"),
            found.nth(i).locator("[data-testid=objective-status]").first.get_attribute("class"),
        )
        for i in range(found.count())
    ]


def test_objectives_worst_first_and_a_filter_keeps_their_status(admin: Any, live_site: str) -> None:
    roots = admin.locator("#board > [data-testid=objective]")
    ranks = [
        SEVERITY[
            (roots.nth(i).locator("[data-testid=objective-status]").first.get_attribute("class") or "").split("-", 1)[1]
        ]
        for i in range(roots.count())
    ]
    assert ranks == sorted(ranks), ranks
    everything = dict(_objective_statuses(admin))
    for status in ("on_track", "off_track"):
        admin.select_option("[data-testid=status-filter]", status)
        admin.wait_for_url(re.compile(rf"status={status}"))
        admin.wait_for_load_state("networkidle")
        cards = admin.locator("[data-testid=kpi-card]")
        assert all(cards.nth(i).get_attribute("data-status") == status for i in range(cards.count()))
        for name, badge in _objective_statuses(admin):
            assert badge == everything[name], (status, name, badge, everything[name])


def test_tv_mode_fits_the_screen_and_pages_through_every_objective(browser: Any, live_site: str) -> None:
    page = _logged_in(browser, live_site, 1280)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{live_site}/tv?seconds=3")
    board = page.locator("[data-testid=tv-board]")
    page.wait_for_selector("[data-testid=tv-board][data-screens]", state="attached")
    screens = int(board.get_attribute("data-screens") or "0")
    assert screens >= 2, "the TPC-H scorecard does not fit one 720 px screen"
    header = page.locator("[data-testid=tv-data-until]").inner_text()
    assert ISO_DAY.search(header), header  # the data's day, not today's
    seen: set[str] = set()
    for _ in range(screens):
        page.wait_for_timeout(700)  # the strip slides in 0.6 s
        assert page.evaluate("document.documentElement.scrollHeight") <= 720  # nothing to scroll
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        # the objectives in sight: the screen shown, each block wholly on it
        shown = page.evaluate(
            "(() => { const box = document.getElementById('board').getBoundingClientRect();"
            " return Array.from(document.querySelectorAll('.tv-objective')).map(b => b.getBoundingClientRect())"
            ".map((r, i) => [document.querySelectorAll('.tv-objective')[i].dataset.objective, r.left, r.right, r.bottom])"
            ".filter(([, left, right]) => right > box.left && left < box.right); })()"
        )
        assert shown, "a screen without objectives"
        assert all(left >= 0 and right <= 1280 and bottom <= 720 for _, left, right, bottom in shown), shown
        seen |= {name for name, *_ in shown}
        page.screenshot(path=str(ARTIFACTS / f"tv-{board.get_attribute('data-screen')}.png"))
        before = board.get_attribute("data-screen")
        page.wait_for_selector(
            f"[data-testid=tv-board]:not([data-screen='{before}'])", state="attached", timeout=10_000
        )
    every = page.locator("[data-testid=objective]")
    assert seen == {every.nth(i).get_attribute("data-objective") for i in range(every.count())}
    page.context.close()


def test_a_partial_month_is_drawn_apart(admin: Any, live_site: str) -> None:
    """The TPC-H data ends on 1998-08-02: August 1998 is one day of a month, hatched, with its note."""
    admin.goto(f"{live_site}/metrics/revenue?grain=month")
    admin.wait_for_selector("#metric-chart svg")
    assert "Partial month 1998-08-01" in admin.locator("[data-testid=partial-periods]").inner_text()
    # ECharts draws the partial bar in the lighter fill (and its hatching) the other bars do not have
    bars = admin.evaluate(
        "Array.from(document.querySelectorAll('#metric-chart svg path[stroke-dasharray]'))"
        ".map(p => [p.getAttribute('fill'), p.getAttribute('fill-opacity')])"
    )
    assert ["rgb(15,118,110)", "0.35"] in bars, bars  # lighter, outlined with dashes
    assert any((fill or "").startswith("url(") for fill, _ in bars), bars  # and hatched
    admin.screenshot(path=str(ARTIFACTS / "metric-partial.png"))

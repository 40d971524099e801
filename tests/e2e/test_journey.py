"""A person's morning in onpace, in a real browser: log in, scorecard, a KPI, breakdown, comment,
annotation, review, promotion, log out; and a viewer who can change nothing."""

from __future__ import annotations

import re
from typing import Any

from tests.api.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS


def _login(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/kpis/quarterly_revenue")  # a deep link: the login sends the person back there
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_a_strategists_morning(browser: Any, live_site: str) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    _login(page, live_site, "strategist")
    page.wait_for_url(f"{live_site}/kpis/quarterly_revenue")
    page.goto(f"{live_site}/")
    cards = page.locator("[data-testid=kpi-card]")
    assert cards.count() >= 10
    statuses = {cards.nth(i).get_attribute("data-status") for i in range(cards.count())}
    assert statuses <= {"on_track", "at_risk", "off_track", "achieved", "missed", "no_data"}
    page.screenshot(path=str(ARTIFACTS / "scorecard.png"), full_page=True)

    # filter by status, then open a KPI from its card
    page.select_option("[data-testid=status-filter]", "at_risk")
    page.wait_for_url(re.compile(r"status=at_risk"))
    assert all(
        page.locator("[data-testid=kpi-card]").nth(i).get_attribute("data-status") == "at_risk"
        for i in range(page.locator("[data-testid=kpi-card]").count())
    )
    page.goto(f"{live_site}/")
    page.click("[data-testid=kpi-card][data-kpi=quarterly_revenue]")
    page.wait_for_url(f"{live_site}/kpis/quarterly_revenue")
    page.wait_for_selector("#kpi-chart svg")  # ECharts drew the chart

    # the breakdown loads by the first dimension; change it and drill down
    page.wait_for_selector("[data-testid=breakdown-table] tbody tr")
    page.select_option("[data-testid=breakdown-by]", "region")
    page.wait_for_selector("[data-testid=breakdown] >> text=revenue by region")
    regions = page.locator("[data-testid=breakdown-table] tbody tr")
    assert regions.count() == 5
    regions.first.locator("a").click()
    page.wait_for_selector("[data-testid=breakdown] >> text=where region")

    page.fill("[data-testid=comment-form] textarea", "Q3 is behind: the July promotion ended early.")
    page.click("[data-testid=comment-form] button")
    page.wait_for_selector("[data-testid=comment] >> text=July promotion")

    page.fill("[data-testid=annotation-form] input[name=label]", "Price change")
    page.click("[data-testid=annotation-form] button")
    page.wait_for_selector("[data-testid=annotation] >> text=Price change")

    page.select_option("[data-testid=review-form] select[name=assessment]", "at_risk")
    page.fill("[data-testid=review-form] textarea[name=commentary]", "Behind plan; recovering in August.")
    page.fill("[data-testid=review-form] textarea[name=actions]", "Extend the promotion")
    page.click("[data-testid=review-form] button")
    page.wait_for_selector("[data-testid=review] >> text=recovering in August")
    page.screenshot(path=str(ARTIFACTS / "kpi.png"), full_page=True)

    # promote a metric that is not a KPI yet
    page.goto(f"{live_site}/metrics/median_order_total")
    page.fill("[data-testid=promote-form] input[name=target_value]", "150000")
    page.fill("[data-testid=promote-form] input[name=reason]", "big orders drive the margin")
    page.click("[data-testid=promote-form] button")
    page.wait_for_url(f"{live_site}/kpis/median_order_total")
    assert "KPI" in page.locator("h1").inner_text() or page.locator("h1").count() == 1

    page.click("[data-testid=logout]")
    page.wait_for_url(re.compile(r"/login"))
    page.goto(f"{live_site}/")
    page.wait_for_url(re.compile(r"/login\?next="))
    assert not errors, errors
    context.close()


def test_a_viewer_cannot_edit(browser: Any, live_site: str) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    _login(page, live_site, "viewer")
    page.wait_for_url(f"{live_site}/kpis/quarterly_revenue")
    # the page offers no forms to change anything
    for form in ("comment-form", "annotation-form", "review-form"):
        assert page.locator(f"[data-testid={form}]").count() == 0
    page.goto(f"{live_site}/metrics/median_order_total")
    assert page.locator("[data-testid=promote-form]").count() == 0
    # and the server refuses the requests the forms would have sent, with the session's own CSRF token
    csrf = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    for path, form in (
        ("/kpis/quarterly_revenue/comments", {"body": "sneaky"}),
        ("/kpis/quarterly_revenue/reviews", {"assessment": "on_track", "commentary": "fine"}),
        (
            "/metrics/median_order_total/promote",
            {
                "objective": "grow_sales",
                "owner": "x",
                "timeframe": "quarter",
                "target_kind": "at_least",
                "target_value": "1",
                "reason": "r",
            },
        ),
    ):
        answer = page.request.post(f"{live_site}{path}", form=form, headers={"X-CSRF-Token": csrf})
        assert answer.status == 403, (path, answer.status)
    assert page.request.get(f"{live_site}/settings").status == 403
    context.close()


def test_phone_width(browser: Any, live_site: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    _login(page, live_site, "viewer")
    page.wait_for_url(f"{live_site}/kpis/quarterly_revenue")
    page.goto(f"{live_site}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the scorecard scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(ARTIFACTS / "scorecard-phone.png"))
    page.goto(f"{live_site}/kpis/quarterly_revenue")
    page.wait_for_selector("#kpi-chart svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "kpi-phone.png"), full_page=True)
    context.close()

"""The My KPIs page (/my) and the Follow button of the KPI page (/my/follow/NAME), in process.

The strategist's login maps to the person "Head of Sales", who owns quarterly_revenue, revenue_growth,
order_value_band and orders_by_region (5 regions); nothing on the TPC-H site was ever reviewed.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from fastapi.testclient import TestClient
from tests.api.conftest import PASSWORD, Site

from onpace.web.render import render_fragment

PEOPLE = "\npeople:\n  Head of Sales: {email: sales@tpch.example, user: strategist}\n"


def _form_client(site: Site, name: str) -> tuple[TestClient, str]:
    """A browser-like session: the login's cookie, no CSRF header (the forms carry the token)."""
    client = TestClient(site.client.app)
    answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return client, answer.json()["csrf_token"]


def _listed(html: str) -> list[tuple[str, str, str, str]]:
    """(kpi, segment, owned, followed) of each row of the page's KPI table."""
    return re.findall(
        r'data-testid="my-kpi" data-kpi="([^"]*)" data-segment="([^"]*)" data-owned="([a-z]+)" data-followed="([a-z]+)"',
        html,
    )


def test_the_page_lists_the_kpis_owned_with_their_reviews_due(site: Site) -> None:
    with (site.root / "onpace.yml").open("a", encoding="utf-8") as config:
        config.write(PEOPLE)
    page = site.login("strategist").get("/my")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'data-testid="nav-my" class="active"' in html or 'class="active" data-testid="nav-my"' in html
    rows = _listed(html)
    assert [kpi for kpi, *_ in rows] == ["quarterly_revenue"] + ["orders_by_region"] * 5 + [
        "revenue_growth",
        "order_value_band",
    ]
    assert all(owned == "yes" and followed == "no" for *_, owned, followed in rows)
    assert html.count('data-testid="my-kpi-reason"') == 8  # each evaluated row says why
    due = re.findall(r'data-testid="my-review-due" data-kpi="([^"]+)" data-segment="([^"]*)"', html)
    assert len(due) == 8 and ("orders_by_region", "MIDDLE EAST") in due
    assert 'href="/kpis/orders_by_region?segment=MIDDLE+EAST#review"' in html
    assert "Reviews due (8)" in html and "as strategist, Head of Sales, sales@tpch.example" in html


def test_follow_and_unfollow_with_the_form(site: Site) -> None:
    client, csrf = _form_client(site, "viewer")
    assert "You own no KPI and follow none yet" in client.get("/my").text
    button = client.get("/my/follow/europe_revenue")
    assert button.status_code == 200
    assert 'data-following="no"' in button.text and f'name="csrf_token" value="{csrf}"' in button.text
    assert '<input type="hidden" name="want" value="follow">' in button.text
    refused = client.post("/my/follow/europe_revenue", data={"want": "follow"}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    done = client.post("/my/follow/europe_revenue", data={"want": "follow", "csrf_token": csrf}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/kpis/europe_revenue")
    page = client.get("/my").text
    assert _listed(page) == [("europe_revenue", "", "no", "yes")]
    assert 'data-testid="follow-form" data-following="yes"' in page  # its Unfollow button
    assert 'data-following="yes"' in client.get("/my/follow/europe_revenue").text
    # from HTMX (the KPI page's button): the button again, now Unfollow -> Follow
    swapped = client.post(
        "/my/follow/europe_revenue",
        data={"want": "unfollow", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert 'data-following="no"' in swapped.text and ">Follow</button>" in swapped.text
    assert _listed(client.get("/my").text) == []
    # from the My KPIs page: back to it
    client.post("/my/follow/europe_revenue", data={"want": "follow", "csrf_token": csrf})
    back = client.post(
        "/my/follow/europe_revenue",
        data={"want": "unfollow", "back": "my", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert (back.status_code, back.headers["location"]) == (303, "/my")


def test_an_unknown_kpi_and_a_bad_form(site: Site) -> None:
    client, csrf = _form_client(site, "viewer")
    missing = client.get("/my/follow/quartely_revenue")
    assert missing.status_code == 404 and "quarterly_revenue" in missing.text
    bad = client.post("/my/follow/europe_revenue", data={"want": "<script>", "csrf_token": csrf})
    assert bad.status_code in (400, 422) and "<script>" not in bad.text
    assert site.client.get("/my", follow_redirects=False).status_code == 303  # login first


def test_the_kpi_pages_slot_loads_the_button() -> None:
    html = render_fragment("_follow.html", page=SimpleNamespace(kpi=SimpleNamespace(name="orders_by_region")))
    assert 'hx-get="/my/follow/orders_by_region"' in html and 'hx-trigger="load"' in html

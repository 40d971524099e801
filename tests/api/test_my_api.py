"""``GET /api/my/kpis`` and ``PUT|DELETE /api/kpis/{name}/follow`` on the TPC-H site.

The strategist's login maps to the person "Head of Sales" (``people:``), who owns quarterly_revenue,
revenue_growth, order_value_band and orders_by_region (5 regions) in models/goals.yml; nothing on the
site was ever reviewed, so each of their 8 instances has a review due.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.conftest import Site

PEOPLE = "\npeople:\n  Head of Sales: {email: sales@tpch.example, user: strategist}\n"


def _people(site: Site) -> None:
    with (site.root / "onpace.yml").open("a", encoding="utf-8") as config:
        config.write(PEOPLE)


def test_follow_unfollow_and_my_kpis(site: Site) -> None:
    _people(site)
    viewer = site.login("viewer")
    empty = viewer.get("/api/my/kpis")
    assert empty.status_code == 200, empty.text
    assert (empty.json()["user"], empty.json()["kpis"], empty.json()["reviews_due"]) == ("viewer", [], [])
    for _ in range(2):  # idempotent
        answer = viewer.put("/api/kpis/europe_revenue/follow")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"kpi": "europe_revenue", "following": True}
    mine = viewer.get("/api/my/kpis").json()
    assert [(k["kpi"], k["owned"], k["followed"]) for k in mine["kpis"]] == [("europe_revenue", False, True)]
    (row,) = mine["kpis"][0]["rows"]
    assert row["kpi"] == "europe_revenue" and row["status"] and row["reason"]
    assert [(r["kpi"], r["due"]) for r in mine["reviews_due"]] == [("europe_revenue", None)]  # never reviewed
    for _ in range(2):
        answer = viewer.delete("/api/kpis/europe_revenue/follow")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"kpi": "europe_revenue", "following": False}
    assert viewer.get("/api/my/kpis").json()["kpis"] == []


def test_an_unknown_kpi_is_a_404_with_the_closest_name(site: Site) -> None:
    viewer = site.login("viewer")
    for method in ("PUT", "DELETE"):
        answer = viewer.request(method, "/api/kpis/quartely_revenue/follow")
        assert answer.status_code == 404, answer.text
        assert "did you mean 'quarterly_revenue'" in answer.json()["detail"]


def test_the_kpis_a_person_owns(site: Site) -> None:
    _people(site)
    strategist = site.login("strategist")
    mine = strategist.get("/api/my/kpis").json()
    assert mine["owner_names"] == ["strategist", "Head of Sales", "sales@tpch.example"]
    # by priority, then label: 1 "Revenue this quarter"; 2 "Orders this fiscal year, by region",
    # "Revenue growth vs last year"; 3 "Average order value in band"
    assert [(k["kpi"], k["owned"], k["followed"]) for k in mine["kpis"]] == [
        ("quarterly_revenue", True, False),
        ("orders_by_region", True, False),
        ("revenue_growth", True, False),
        ("order_value_band", True, False),
    ]
    regions = mine["kpis"][1]
    assert [r["segment"] for r in regions["rows"]] == ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]
    assert len(mine["reviews_due"]) == 8  # 1 + 5 + 1 + 1 instances, none ever reviewed
    assert all(r["due"] is None and r["overdue"] for r in mine["reviews_due"])


def test_roles_login_and_csrf(site: Site) -> None:
    assert site.client.get("/api/my/kpis").status_code == 401
    assert site.client.put("/api/kpis/europe_revenue/follow").status_code == 401
    viewer = site.login("viewer")
    no_token = TestClient(site.client.app, cookies=viewer.cookies)  # the session, without its CSRF header
    assert no_token.put("/api/kpis/europe_revenue/follow").status_code == 403
    assert viewer.get("/api/my/kpis").json()["kpis"] == []

"""The API's KPI routes as of a date (``?as_of=``), the history they return, and the new row fields.

The site is the TPC-H example (tests/site_fixtures.py), evaluated as of its data's last day in
1998 (``as_of: latest_data``). As of 1998-03-31, the quarterly KPIs are judged in 1998-Q1 on its
last day: over, so achieved or missed; what any route answers as of then is what the scorecard
computes as of then (tests/services/test_as_of_cut_data.py checks that against cut data).
"""

from __future__ import annotations

import datetime as dt

import pytest
from tests.site_fixtures import Site

from onpace.catalog.project import load_project
from onpace.services import scorecard
from onpace.store.db import Store

ROUTES = (
    "/api/kpis",
    "/api/kpis/quarterly_revenue",
    "/api/kpis/quarterly_revenue/page",
    "/api/kpis/quarterly_revenue/chart",
    "/api/kpis/quarterly_revenue/periods",
)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1998-02-30", "expected a date written YYYY-MM-DD"),
        ("yesterday", "expected a date written YYYY-MM-DD"),
        ("19980315", "expected a date written YYYY-MM-DD"),
        ("1899-12-31", "outside the dates onpace supports"),
        ("2200-01-01", "outside the dates onpace supports"),
    ],
)
def test_a_bad_date_is_a_400_naming_the_parameter(site: Site, route: str, value: str, says: str) -> None:
    client = site.login("viewer")
    answer = client.get(route, params={"as_of": value})
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith("as_of: ") and says in detail
    assert "yesterday" not in detail  # the input is not repeated


def test_the_rows_as_of_a_date(site: Site) -> None:
    client = site.login("viewer")
    day = "1998-03-31"
    rows = {(r["kpi"], r["segment"]): r for r in client.get("/api/kpis", params={"as_of": day}).json()}
    quarter = rows[("quarterly_revenue", None)]
    assert (quarter["period"], quarter["period_end"], quarter["as_of"]) == ("1998-Q1", day, day)
    assert quarter["status"] in ("achieved", "missed") and quarter["elapsed_share"] == 1.0
    assert quarter["reason"].startswith("ended at ") and quarter["data_until"] == day
    assert quarter["last_period"]["period"] == "1998-Q1" and quarter["streak"] >= 1
    # the same as the service computes as of then
    store = Store.open(site.workspace.settings.database_url or "")
    try:
        [expected] = [
            r.model_dump(mode="json")
            for r in scorecard.kpi_rows(load_project(site.root), store, dt.date(1998, 3, 31))
            if r.kpi == "quarterly_revenue"
        ]
    finally:
        store.close()
    for name in ("actual", "target", "status", "reason", "last_period", "streak", "data_until"):
        assert quarter[name] == expected[name], name
    # one KPI and its page, as of the same day
    detail = client.get("/api/kpis/quarterly_revenue", params={"as_of": day}).json()
    assert [e["period"] for e in detail["evaluations"]] == ["1998-Q1"]
    page = client.get("/api/kpis/quarterly_revenue/page", params={"as_of": day}).json()
    assert page["row"]["period"] == "1998-Q1"
    assert all(p["period_end"] <= day for p in page["past"]) and page["past"][0]["period"] == "1998-Q1"
    chart = client.get("/api/kpis/quarterly_revenue/chart", params={"as_of": day}).json()
    assert chart["days"][0] == "1998-01-01" and chart["days"][-1] == day


def test_every_row_says_why_and_how_far_its_data_goes(site: Site) -> None:
    client = site.login("viewer")
    for row in client.get("/api/kpis").json():
        assert row["reason"], row["kpi"]
        assert set(row) >= {"data_until", "elapsed_share", "last_period", "streak"}
        if row["status"] != "no_data":
            assert row["data_until"] is not None and 0.0 <= row["elapsed_share"] <= 1.0


def test_the_past_periods_of_a_recurring_kpi(site: Site) -> None:
    client = site.login("viewer")
    periods = client.get("/api/kpis/quarterly_revenue/periods").json()
    # TPC-H's orders run from 1992 to 1998-08; the targets from 1997 on: 1997's four quarters and 1998's
    # first two (1998-Q3 is the current one); a quarter without a target is neither achieved nor missed
    assert [p["period"] for p in periods] == ["1998-Q2", "1998-Q1", "1997-Q4", "1997-Q3", "1997-Q2", "1997-Q1"]
    assert [p["period_start"] for p in periods] == sorted((p["period_start"] for p in periods), reverse=True)
    for p in periods:
        assert p["status"] in ("achieved", "missed") and p["period"] and p["reason"].startswith("ended at ")
        met = p["actual"] >= p["target"]
        assert met == (p["status"] == "achieved")
    until = client.get("/api/kpis/quarterly_revenue/periods", params={"as_of": "1997-09-30"}).json()
    assert until == [p for p in periods if p["period_end"] <= "1997-09-30"]
    assert [p["period"] for p in until] == ["1997-Q3", "1997-Q2", "1997-Q1"]

"""Partial periods in the API and on the metric page (issue 14).

A range that cuts a period (15 January to 10 March at month grain) is answered by a
live query: every overlapping month is listed, each valued from its days inside the
range, and ``partial_periods`` names January and March. The metric page says so in a
note. Expected values come from hand-written SQL on a copy of the data.
"""

from __future__ import annotations

import datetime as dt

from tests.api.conftest import Site
from tests.api.test_api import sql


def test_observations_list_the_months_the_range_cuts(site: Site) -> None:
    client = site.login("viewer")
    answer = client.get(
        "/api/metrics/orders/observations", params={"grain": "month", "start": "1997-01-15", "end": "1997-03-10"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source"] == "engine"  # the store holds whole months only
    expected = sql(
        site.root,
        "select date_trunc('month', o_orderdate)::date, count(distinct o_orderkey) from orders "
        "where o_orderdate between date '1997-01-15' and date '1997-03-10' group by 1 order by 1",
    )
    assert [(r["period"], r["value"]) for r in body["rows"]] == [(p.isoformat(), float(n)) for p, n in expected]
    assert [r["period"] for r in body["rows"]] == ["1997-01-01", "1997-02-01", "1997-03-01"]
    assert body["partial_periods"] == ["1997-01-01", "1997-03-01"]


def test_metric_page_notes_partial_periods(site: Site) -> None:
    client = site.login("viewer")
    page = client.get("/metrics/orders", params={"grain": "month", "start": "1997-01-15", "end": "1997-03-10"})
    assert page.status_code == 200, page.text
    assert 'data-testid="partial-periods"' in page.text
    assert "Partial months 1997-01-01, 1997-03-01: only their days from 1997-01-15 to 1997-03-10" in page.text
    whole = client.get("/metrics/orders", params={"grain": "month", "start": "1997-01-01", "end": "1997-03-31"})
    assert 'data-testid="partial-periods"' not in whole.text


def test_a_stored_month_in_progress_is_partial(site: Site) -> None:
    client = site.login("viewer")
    body = client.get("/api/metrics/orders/observations", params={"grain": "month", "start": "1998-01-01"}).json()
    assert body["source"] == "store"
    [(last_day,)] = sql(site.root, "select max(o_orderdate) from orders")
    month = last_day.replace(day=1)
    assert body["rows"][-1]["period"] == month.isoformat()
    next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    # the data stops inside its last month (TPC-H orders end on 1998-08-02): that month is to date
    assert last_day < next_month - dt.timedelta(days=1)
    assert body["partial_periods"] == [month.isoformat()]

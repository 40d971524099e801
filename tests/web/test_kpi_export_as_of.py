"""The KPI page's "Export CSV" exports the chart the page shows, as of its date.

Found by probing the served demo: ``/kpis/quarterly_revenue?as_of=2026-06-15`` showed 2026-Q2, its
Export link carried no date, and ``export.csv?as_of=2026-06-15`` answered the latest quarter (2026-Q4)
while ``/api/kpis/quarterly_revenue/chart?as_of=2026-06-15`` covered 2026-Q2; ``as_of=x`` was not
refused. The TPC-H data of these tests runs to 1998-08-02; revenue from hand-written SQL.
"""

from __future__ import annotations

import csv
import io

import pytest
from tests.api.conftest import Site
from tests.api.test_api import sql

REVENUE_TO = """
    select sum(l_extendedprice * (1 - l_discount)) from lineitem join orders on o_orderkey = l_orderkey
    where o_orderdate between date '1997-04-01' and date '1997-05-15'
"""


def _rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row]


def test_the_export_of_a_page_as_of_a_date_is_that_days_chart(site: Site) -> None:
    viewer = site.login("viewer")
    page = viewer.get("/kpis/quarterly_revenue", params={"as_of": "1997-05-15"})
    assert page.status_code == 200
    assert 'href="/kpis/quarterly_revenue/export.csv?as_of=1997-05-15"' in page.text

    export = viewer.get("/kpis/quarterly_revenue/export.csv", params={"as_of": "1997-05-15"})
    assert export.status_code == 200
    assert "quarterly_revenue-as-of-1997-05-15.csv" in export.headers["content-disposition"]
    rows = _rows(export.text)
    days = rows[1 : [r[0] for r in rows].index("forecast_at")]
    assert days[0][0] == "1997-04-01" and days[-1][0] <= "1997-06-30"  # the second quarter of 1997
    actuals = [float(r[1]) for r in days if r[1]]
    [(expected,)] = sql(site.root, REVENUE_TO)
    assert max(actuals) == pytest.approx(float(expected), rel=1e-9)  # revenue to date on 15 May

    chart = viewer.get("/api/kpis/quarterly_revenue/chart", params={"as_of": "1997-05-15"}).json()
    assert [r[0] for r in days] == chart["days"]

    latest = _rows(viewer.get("/kpis/quarterly_revenue/export.csv").text)
    assert latest[1][0] == "1998-07-01"  # without a date: the latest quarter, as before
    bad = viewer.get("/kpis/quarterly_revenue/export.csv", params={"as_of": "x"})
    assert bad.status_code == 400 and "as_of" in bad.text

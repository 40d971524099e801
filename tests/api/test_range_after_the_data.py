"""A range that ends after the data's last day: the periods that have not happened are not zeros.

Found on the served demo: ``GET /api/metrics/revenue/observations?grain=month&start=2026-10-01&end=2027-03-31``
answered October and November (from the store), the same with ``where=region='Europe'`` answered
six months with 0.0 for December to March (a live query filling its time spine), and
``onpace query`` printed "0 EUR" for those months: one question, two answers. The TPC-H data of
these tests ends on 1998-08-02; expected values from hand-written SQL.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.api.conftest import Site
from tests.api.test_api import sql

RANGE = {"grain": "month", "start": "1998-06-01", "end": "1998-12-31"}
BY_MONTH = """
    select date_trunc('month', o_orderdate)::date, count(distinct o_orderkey)::double from orders {join}
    where o_orderdate between date '1998-06-01' and date '1998-12-31' {where} group by 1 order by 1
"""
EUROPE = (
    "join customer on c_custkey = o_custkey join nation on n_nationkey = c_nationkey "
    "join region on r_regionkey = n_regionkey",
    "and r_name = 'EUROPE'",
)


def _rows(body: dict) -> list[tuple[str, float]]:
    return [(r["period"], r["value"]) for r in body["rows"]]


def test_the_store_and_a_live_query_answer_the_same_months(site: Site) -> None:
    viewer = site.login("viewer")
    stored = viewer.get("/api/metrics/orders/observations", params=RANGE).json()
    assert stored["source"] == "store"
    expected = [(p.isoformat(), n) for p, n in sql(site.root, BY_MONTH.format(join="", where=""))]
    assert [p for p, _ in expected] == ["1998-06-01", "1998-07-01", "1998-08-01"]  # the data ends in August
    assert _rows(stored) == expected
    assert stored["partial_periods"] == ["1998-08-01"]  # its data stops on the 2nd

    live = viewer.get("/api/metrics/orders/observations", params={**RANGE, "where": "region = 'EUROPE'"}).json()
    assert live["source"] == "engine"
    europe = {p.isoformat(): n for p, n in sql(site.root, BY_MONTH.format(join=EUROPE[0], where=EUROPE[1]))}
    # every month up to the data's last day (a month without a European order is a real 0); none after:
    # was six months, September to December 0.0
    assert _rows(live) == [(month, europe.get(month, 0.0)) for month, _ in expected]
    assert live["partial_periods"] == ["1998-08-01"]

    after = viewer.get(
        "/api/metrics/orders/observations", params={"grain": "month", "start": "1998-09-01", "end": "1998-12-31"}
    )
    assert after.status_code == 200 and after.json()["rows"] == []
    live_after = viewer.get(
        "/api/metrics/orders/observations",
        params={"grain": "month", "start": "1998-09-01", "end": "1998-12-31", "where": "region = 'EUROPE'"},
    )
    assert live_after.status_code == 200 and live_after.json()["rows"] == []


def test_onpace_query_answers_the_same(site: Site) -> None:
    command = [sys.executable, "-m", "onpace", "query", "orders", "--grain", "month", "--start", "1998-06-01"]
    answer = subprocess.run(
        [*command, "--end", "1998-12-31", "--format", "json", "--project", str(site.root)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    rows = json.loads(answer.stdout)
    expected = [(p.isoformat(), n) for p, n in sql(site.root, BY_MONTH.format(join="", where=""))]
    assert [(r["period"], r["orders"]) for r in rows] == expected  # no zeros after August


def test_onpace_query_of_a_range_after_the_data_has_no_row(site: Site) -> None:
    """The API answers no row for September to December 1998 (above); ``onpace query`` printed four
    months of 0 for the same range, and no row for the same range given by its start alone."""
    base = [sys.executable, "-m", "onpace", "query", "orders", "--grain", "month", "--start", "1998-09-01"]
    for extra in (["--end", "1998-12-31"], []):
        answer = subprocess.run(
            [*base, *extra, "--format", "json", "--project", str(site.root)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert answer.returncode == 0, answer.stderr
        assert json.loads(answer.stdout) == [], extra
    assert sql(site.root, BY_MONTH.format(join="", where="").replace("1998-06-01", "1998-09-01")) == []

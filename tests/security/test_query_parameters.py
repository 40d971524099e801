"""Query parameters with values onpace cannot use: a 4xx that names the parameter, never a 500.

Found by probing the served demo (every GET route, 16 to 22 bad values per parameter):
``GET /api/audit?since=2026-01-01`` answered 500 (a time without an offset reached the store,
which refuses naive times); ``end=9999-12-31`` on a metric's values answered 400 with a message
about "9999-12-27 moved by 7 days" that named neither the parameter nor the value, and
``start=0001-01-01`` was taken; ``status=abc`` on the scorecard was a filter matching nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from tests.api.conftest import Site


def test_the_audit_log_takes_a_time_without_an_offset_as_utc(site: Site) -> None:
    admin = site.login("admin")
    site.login("viewer")  # a login is a change the audit log keeps
    newest = dt.datetime.fromisoformat(admin.get("/api/audit", params={"limit": 1}).json()[0]["at"])
    assert newest.utcoffset() == dt.timedelta(0)

    def count(since: dt.datetime) -> int:
        answer = admin.get("/api/audit", params={"since": since.isoformat()})
        assert answer.status_code == 200, answer.text
        return sum(1 for change in answer.json() if dt.datetime.fromisoformat(change["at"]) == newest)

    naive = newest.replace(tzinfo=None)
    second = dt.timedelta(seconds=1)
    assert count(naive - second) == 1 and count(naive + second) == 0  # read as UTC
    two_hours_east = dt.timezone(dt.timedelta(hours=2))
    assert count((newest - second).astimezone(two_hours_east)) == 1  # an offset is kept
    assert count((newest + second).astimezone(two_hours_east)) == 0
    assert admin.get("/api/audit", params={"since": "2026-01-01"}).status_code == 200  # a date alone


@pytest.mark.parametrize("since", ["0001-01-01", "9999-12-31", "1899-12-31T23:00:00", "1900-01-01T00:30:00+01:00"])
def test_the_audit_log_refuses_a_time_outside_the_supported_dates(site: Site, since: str) -> None:
    answer = site.login("admin").get("/api/audit", params={"since": since})
    assert answer.status_code == 422, answer.text
    assert "since" in answer.text and "1900-01-01 to 2199-12-31" in answer.text


@pytest.mark.parametrize(
    ("parameter", "value"), [("end", "9999-12-31"), ("start", "0001-01-01"), ("start", "2200-01-01")]
)
def test_a_metrics_range_outside_the_supported_dates_is_refused_naming_the_parameter(
    site: Site, parameter: str, value: str
) -> None:
    viewer = site.login("viewer")
    answer = viewer.get("/api/metrics/field_visits/observations", params={parameter: value, "grain": "week"})
    assert answer.status_code == 422, answer.text
    assert parameter in answer.text and value in answer.text and "1900-01-01 to 2199-12-31" in answer.text
    page = viewer.get("/metrics/field_visits", params={parameter: value})
    assert page.status_code == 422, page.text[:300]
    assert value in page.text and "2199-12-31" in page.text


def test_the_scorecard_refuses_a_status_that_does_not_exist(site: Site) -> None:
    viewer = site.login("viewer")
    answer = viewer.get("/api/kpis", params={"status": "abc"})
    assert answer.status_code == 422, answer.text
    assert "status" in answer.text and "at_risk" in answer.text
    assert viewer.get("/", params={"status": "abc"}).status_code == 422
    known = viewer.get("/api/kpis", params={"status": "no_data"})
    assert known.status_code == 200
    assert all(row["status"] == "no_data" for row in known.json())


@pytest.mark.parametrize("field", ["date", "end_date"])
def test_an_annotation_outside_the_supported_dates_is_refused_and_not_kept(site: Site, field: str) -> None:
    editor = site.login("editor")
    body = {"date": "1998-07-01", "label": "far away", field: "9999-12-31"}
    answer = editor.post("/api/kpis/quarterly_revenue/annotations", json=body)
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["detail"] and "1900-01-01 to 2199-12-31" in answer.json()["detail"]
    kept = editor.get("/api/kpis/quarterly_revenue/annotations").json()
    assert not [a for a in kept if a["label"] == "far away"]


def test_a_report_as_of_outside_the_supported_dates_is_refused(site: Site) -> None:
    answer = site.login("strategist").post("/api/reports/ops/send", json={"as_of": "9999-12-31"})
    assert answer.status_code == 422, answer.text
    assert "as_of" in answer.text and "2199-12-31" in answer.text

"""The reports API on the test site (tests/api/reports_site.py): list, runs, the PDF and CSV, send."""

from __future__ import annotations

import csv
import io

import pytest
from tests.api.reports_site import LATEST, add_reports, on_time_rate
from tests.site_fixtures import Site

from onpace.services import delivery


@pytest.fixture
def reports_site(site: Site) -> Site:
    add_reports(site.root)
    return site


def test_the_reports_are_listed_with_their_schedule_and_last_run(reports_site: Site) -> None:
    viewer = reports_site.login("viewer")
    answer = viewer.get("/api/reports")
    assert answer.status_code == 200, answer.text
    ops, sales = answer.json()
    assert (ops["name"], ops["title"], ops["audience"]) == ("ops", "Ops <b>pack</b>", "objective deliver_reliably")
    assert ops["kpis"] == ["on_time_delivery", "returns_in_1998"]
    assert (ops["schedule"], ops["next_at"], ops["last_run"], ops["runs"]) == (None, None, None, [])
    assert ops["formats"] == ["pdf", "csv"] and ops["recipients"] == ["channel:inbox"]
    assert sales["schedule"] == "every Monday at 07:00 (Europe/London)"
    assert (sales["cron"], sales["timezone"], sales["formats"]) == ("0 7 * * mon", "Europe/London", ["csv"])


def test_a_strategist_sends_a_report_and_its_run_is_listed(reports_site: Site) -> None:
    strategist = reports_site.login("strategist")
    answer = strategist.post("/api/reports/ops/send", json={})
    assert answer.status_code == 202, answer.text
    run = answer.json()
    assert (run["report"], run["status"], run["messages"], run["as_of"]) == ("ops", "succeeded", 1, LATEST)
    assert run["requested_by"] == "strategist" and run["key"].startswith("manual:") and run["error"] is None
    assert run["pages"] >= 3  # a cover, the scorecard, a page per KPI
    runs = strategist.get("/api/reports/ops/runs").json()
    assert [r["id"] for r in runs] == [run["id"]]
    [listed] = [r for r in strategist.get("/api/reports").json() if r["name"] == "ops"]
    assert listed["last_run"]["id"] == run["id"]
    [message] = delivery.list_outbox(reports_site.workspace.store, origin="report:ops")
    assert (message.channel, message.to, message.key) == ("inbox", None, f"report:ops:{run['key']}:inbox:")
    assert message.subject == f"Ops <b>pack</b> — as of {LATEST}"

    again = strategist.post("/api/reports/ops/send", json={"as_of": "1998-06-30"})
    assert again.status_code == 202 and again.json()["as_of"] == "1998-06-30" and again.json()["id"] != run["id"]


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_sending_needs_a_strategist(reports_site: Site, role: str) -> None:
    answer = reports_site.login(role).post("/api/reports/ops/send", json={})
    assert answer.status_code == 403 and "refresh" in answer.text
    assert delivery.list_outbox(reports_site.workspace.store) == []


def test_what_a_send_refuses(reports_site: Site) -> None:
    strategist = reports_site.login("strategist")
    unknown = strategist.post("/api/reports/opz/send", json={})
    assert unknown.status_code == 404 and "no report named 'opz'; did you mean 'ops'?" in unknown.text
    runs = strategist.get("/api/reports/salse/runs")
    assert runs.status_code == 404 and "did you mean 'sales'?" in runs.text
    bad_to = strategist.post("/api/reports/ops/send", json={"to": "not an address"})
    assert bad_to.status_code == 422 and "not an email address" in bad_to.text
    assert "not an address" not in bad_to.text.replace("not an email address", "")  # the input is not repeated
    extra = strategist.post("/api/reports/ops/send", json={"cc": "a@b.test"})
    assert extra.status_code == 422
    no_email = strategist.post("/api/reports/ops/send", json={"to": "cfo@example.com"})
    assert no_email.status_code == 400 and "needs an email channel" in no_email.text
    assert delivery.list_outbox(reports_site.workspace.store) == []


def test_the_pdf_and_the_csv_are_rendered_on_demand(reports_site: Site) -> None:
    """Downloads of the web app (every API answer is JSON), for any logged-in user."""
    viewer = reports_site.login("viewer")
    pdf = viewer.get("/reports/ops.pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith(f'attachment; filename="ops-{LATEST}.pdf"')

    table = viewer.get("/reports/ops.csv", params={"as_of": "1998-06-30"})
    assert table.status_code == 200, table.text
    assert table.headers["content-type"].startswith("text/csv")
    assert table.headers["content-disposition"].startswith('attachment; filename="ops-1998-06-30.csv"')
    rows = {r["kpi"]: r for r in csv.DictReader(io.StringIO(table.text))}
    assert set(rows) == {"on_time_delivery", "returns_in_1998"}
    # 1998-Q2 up to June 30 is the whole quarter: the on-time share of its orders' lines, by hand-written SQL
    expected = on_time_rate(reports_site.root, "1998-04-01", "1998-06-30")
    assert float(rows["on_time_delivery"]["actual"]) == pytest.approx(expected)
    assert float(rows["returns_in_1998"]["actual"]) == 0.0  # TPC-H returns only lines received before mid-1995
    assert {r["as_of"] for r in rows.values()} == {"1998-06-30"}
    assert viewer.get("/reports/ops.csv", params={"as_of": "June"}).status_code == 400
    assert viewer.get("/reports/nope.pdf").status_code == 404
    assert viewer.get("/api/reports/ops/pdf").status_code == 404  # not an API operation
    assert delivery.list_outbox(reports_site.workspace.store) == []  # rendering sends nothing


def test_reports_made_over_the_api_are_kept_as_code(reports_site: Site) -> None:
    strategist = reports_site.login("strategist")
    made = strategist.post(
        "/api/reports",
        json={"name": "quality", "audience": {"kpis": ["returns_in_1998"]}, "schedule": {"cron": "0 9 * * fri"}},
    )
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "quality"
    written = (reports_site.root / "models" / "app.yml").read_text(encoding="utf-8")
    assert "quality" in written and "0 9 * * fri" in written and "timezone" not in written  # only what was given
    changed = strategist.put("/api/reports/quality", json={"name": "quality", "formats": ["csv"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["formats"] == ["csv"]
    taken = strategist.post("/api/reports", json={"name": "quality"})
    assert taken.status_code == 409
    bad = strategist.post("/api/reports", json={"name": "pack", "audience": {"objective": "deliver_reliabl"}})
    assert bad.status_code == 422 and "deliver_reliably" in bad.text
    in_code = strategist.put("/api/reports/ops", json={"name": "ops"})
    assert in_code.status_code == 409  # defined in a model file: managed as code
    assert reports_site.login("editor").delete("/api/reports/quality").status_code == 403
    assert strategist.delete("/api/reports/quality").status_code == 204
    assert "quality" not in {r["name"] for r in strategist.get("/api/reports").json()}

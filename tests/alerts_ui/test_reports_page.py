"""The Reports page, its preview and downloads, "Send now", and the print views (in process, on the test site
with the reports of tests/api/reports_site.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.api.reports_site import LATEST, add_reports, on_time_rate
from tests.site_fixtures import PASSWORD, Site

from onpace.services import delivery

# the TPC-H site's KPIs (src/onpace/examples/tpch/models/goals.yml)
KPIS = {
    "quarterly_revenue",
    "revenue_growth",
    "order_value_band",
    "active_customers_quarter",
    "europe_revenue",
    "orders_by_region",
    "on_time_delivery",
    "returns_in_1998",
}


@pytest.fixture
def reports_site(site: Site) -> Site:
    add_reports(site.root)
    return site


def _form_client(site: Site, name: str) -> tuple[TestClient, str]:
    """A browser-like session: the login's cookie, no CSRF header (forms carry the token)."""
    client = TestClient(site.client.app)
    answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return client, answer.json()["csrf_token"]


def _reports(html: str) -> list[str]:
    return re.findall(r'data-testid="report" data-report="([^"]+)"', html)


def test_the_page_lists_each_report_for_a_viewer(reports_site: Site) -> None:
    page = reports_site.login("viewer").get("/reports")
    assert page.status_code == 200, page.text
    html = page.text
    assert _reports(html) == ["ops", "sales"]
    assert "Ops &lt;b&gt;pack&lt;/b&gt;" in html and "<b>pack</b>" not in html  # the label is data: escaped
    assert "sent every Monday at 07:00 (Europe/London), next" in html
    assert "sent only on demand" in html and "objective deliver_reliably (2 KPIs)" in html
    assert (
        'href="/reports/ops/preview"' in html
        and 'href="/reports/ops.pdf"' in html
        and 'href="/reports/ops.csv"' in html
    )
    assert html.count("Not sent yet.") == 2
    assert 'data-testid="report-send-form"' not in html  # a viewer may not send
    assert 'data-testid="nav-reports"' in html


def test_send_now_with_the_forms_csrf_token(reports_site: Site) -> None:
    client, csrf = _form_client(reports_site, "strategist")
    page = client.get("/reports").text
    assert page.count('data-testid="report-send-form"') == 2 and 'name="to"' not in page  # no email channel
    refused = client.post("/reports/ops/send", data={})
    assert refused.status_code == 403  # no CSRF token
    answer = client.post("/reports/ops/send", data={"csrf_token": csrf, "as_of": "1998-06-30"})
    assert answer.status_code == 200, answer.text
    notice = re.search(r'data-testid="report-sent" data-status="([^"]+)" data-messages="(\d+)"', answer.text)
    assert notice is not None and notice.groups() == ("succeeded", "1")
    assert "as of 1998-06-30: 1 message queued" in answer.text
    runs = re.findall(r'data-testid="report-run" data-run="(\d+)" data-status="([^"]+)"', answer.text)
    assert [status for _, status in runs] == ["succeeded"]
    [message] = delivery.list_outbox(reports_site.workspace.store, origin="report:ops")
    assert message.channel == "inbox" and message.subject == "Ops <b>pack</b> — as of 1998-06-30"
    editor, editor_csrf = _form_client(reports_site, "editor")
    assert editor.post("/reports/ops/send", data={"csrf_token": editor_csrf}).status_code == 403


def test_the_preview_and_the_downloads(reports_site: Site) -> None:
    viewer = reports_site.login("viewer")
    preview = viewer.get("/reports/ops/preview", params={"as_of": "1998-06-30"})
    assert preview.status_code == 200, preview.text
    html = preview.text
    assert "<script" not in html.lower()
    assert "Ops &lt;b&gt;pack&lt;/b&gt;" in html and "1998-06-30" in html
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 2  # a chart per KPI
    pdf = viewer.get("/reports/ops.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith(f'attachment; filename="ops-{LATEST}.pdf"')
    table = viewer.get("/reports/sales.csv")
    assert table.status_code == 200 and table.text.splitlines()[0].startswith("kpi,segment,label")
    assert table.headers["content-disposition"].startswith(f'attachment; filename="sales-{LATEST}.csv"')
    missing = viewer.get("/reports/salse/preview")
    assert missing.status_code == 404 and "did you mean &#39;sales&#39;?" in missing.text
    assert delivery.list_outbox(reports_site.workspace.store) == []


def test_the_print_view_of_the_scorecard(reports_site: Site) -> None:
    page = reports_site.login("viewer").get("/reports/print/scorecard")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<script" not in html.lower() and "<nav" not in html and 'href="/static/print.css"' in html
    assert set(re.findall(r'data-testid="print-kpi" data-kpi="([^"]+)"', html)) == KPIS
    objectives = re.findall(r'data-testid="print-objective" data-objective="([^"]+)"', html)
    assert set(objectives) == {"grow_sales", "win_in_europe", "deliver_reliably"}
    only = reports_site.login("viewer").get("/reports/print/scorecard", params={"objective": "deliver_reliably"}).text
    assert set(re.findall(r'data-kpi="([^"]+)"', only)) == {"on_time_delivery", "returns_in_1998"}


def test_the_print_view_of_a_kpi(reports_site: Site) -> None:
    viewer = reports_site.login("viewer")
    page = viewer.get("/reports/print/kpis/on_time_delivery", params={"as_of": "1998-06-30"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "<script" not in html.lower() and "<nav" not in html
    assert 'data-testid="print-kpi-title">On-time delivery' in html
    assert re.search(
        r'<svg class="chart" data-testid="print-chart"[^>]*>\s*.*<polyline class="actual" points="[\d., ]+"', html, re.S
    )
    # the whole of 1998-Q2 by hand-written SQL, shown as the metric's format says (percent, 1 decimal)
    rate = on_time_rate(reports_site.root, "1998-04-01", "1998-06-30")
    assert f"{rate * 100:.1f}%" in html
    assert viewer.get("/reports/print/kpis/on_time_delivry").status_code == 404


def test_a_strategist_makes_edits_and_deletes_a_report_on_the_page(reports_site: Site) -> None:
    client, csrf = _form_client(reports_site, "strategist")
    bad = client.post("/reports", data={"csrf_token": csrf, "definition": "name: pack\naudience: {objective: nope}\n"})
    assert bad.status_code == 422
    assert "The report was not saved" in bad.text and "unknown objective &#39;nope&#39;" in bad.text
    assert "audience: {objective: nope}" in bad.text  # what was typed is kept
    made = client.post("/reports", data={"csrf_token": csrf, "definition": "name: pack\nformats: [csv]\n"})
    assert made.status_code == 200 and made.url.path == "/reports"
    assert "pack" in _reports(made.text) and 'data-testid="report-edit"' in made.text
    app_file = (reports_site.root / "models" / "app.yml").read_text(encoding="utf-8")
    assert "name: pack" in app_file
    edited = client.post("/reports/pack/edit", data={"csrf_token": csrf, "definition": "name: pack\npaper: letter\n"})
    assert edited.status_code == 200
    assert "paper: letter" in (reports_site.root / "models" / "app.yml").read_text(encoding="utf-8")
    in_code = client.post("/reports/ops/edit", data={"csrf_token": csrf, "definition": "name: ops\n"})
    assert in_code.status_code == 409  # defined in models/reports.yml: managed as code
    gone = client.post("/reports/pack/delete", data={"csrf_token": csrf})
    assert gone.status_code == 200 and "pack" not in _reports(gone.text)


def test_an_editor_cannot_make_a_report(reports_site: Site) -> None:
    client, csrf = _form_client(reports_site, "editor")
    assert 'data-testid="new-report"' not in client.get("/reports").text
    refused = client.post("/reports", data={"csrf_token": csrf, "definition": "name: pack\n"})
    assert refused.status_code == 403
    assert not (reports_site.root / "models" / "app.yml").exists()


def test_the_scorecard_and_kpi_pages_link_their_print_views(reports_site: Site) -> None:
    viewer = reports_site.login("viewer")
    board = viewer.get("/", params={"department": "Sales"}).text
    link = re.search(r'href="(/reports/print/scorecard[^"]*)" data-testid="print-scorecard"', board)
    assert link is not None and "department=Sales" in link.group(1)
    printed = viewer.get(link.group(1).replace("&amp;", "&"))
    assert printed.status_code == 200 and "<nav" not in printed.text
    kpi = viewer.get("/kpis/orders_by_region", params={"segment": "EUROPE"}).text
    link = re.search(r'href="(/reports/print/kpis/orders_by_region[^"]*)" data-testid="print-kpi"', kpi)
    assert link is not None and "segment=EUROPE" in link.group(1)
    printed = viewer.get(link.group(1).replace("&amp;", "&"))
    assert printed.status_code == 200 and "EUROPE" in printed.text

"""A KPI page asked for a segment the KPI does not have: 404 naming it, never another segment's numbers.

Found by probing the served demo: ``/kpis/first_response?segment=abc`` (a KPI without segments)
answered 200 with the whole KPI, and a segment missing from a segmented KPI showed its first
segment's page, so a stale or mistyped link showed numbers under a name it did not ask for.
"""

from __future__ import annotations

from tests.api.conftest import Site


def test_a_mistyped_segment_is_refused_with_the_segments_it_has(site: Site) -> None:
    viewer = site.login("viewer")
    page = viewer.get("/kpis/orders_by_region", params={"segment": "EUROP"})
    assert page.status_code == 404
    assert "no segment" in page.text and "EUROPE" in page.text
    api = viewer.get("/api/kpis/orders_by_region/page", params={"segment": "EUROP"})
    assert api.status_code == 404 and "did you mean 'EUROPE'" in api.json()["detail"]
    shown = viewer.get("/kpis/orders_by_region", params={"segment": "EUROPE"})
    assert shown.status_code == 200 and "EUROPE" in shown.text
    # what changed too: it explained the first segment (AFRICA) under the name asked for
    changed = viewer.get("/api/kpis/orders_by_region/what-changed", params={"segment": "EUROP"})
    assert changed.status_code == 404 and "EUROPE" in changed.json()["detail"]
    assert viewer.get("/kpis/orders_by_region/what-changed", params={"segment": "EUROP"}).status_code == 404


def test_a_segment_of_a_kpi_without_segments_is_refused(site: Site) -> None:
    viewer = site.login("viewer")
    api = viewer.get("/api/kpis/quarterly_revenue/page", params={"segment": "abc"})
    assert api.status_code == 404, api.text
    assert "not broken down by segment" in api.json()["detail"]
    assert viewer.get("/api/kpis/quarterly_revenue/page").status_code == 200

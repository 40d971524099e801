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


def test_every_view_of_a_kpi_takes_its_segment_alike(site: Site) -> None:
    """Regression: /chart and /export.csv of a segmented KPI without a segment said "no KPI" (the KPI
    exists), and /periods and /evaluations answered an empty list for a segment the KPI lacks or
    for none: every view now takes the page's segment (its first without one) or is 404 naming them."""
    viewer = site.login("viewer")
    page = viewer.get("/api/kpis/orders_by_region/page").json()
    first = page["row"]["segment"]
    assert first  # the page without a segment shows the first one
    for view in ("chart", "periods", "evaluations"):
        missing = viewer.get(f"/api/kpis/orders_by_region/{view}", params={"segment": "EUROP"})
        assert missing.status_code == 404, (view, missing.text)
        assert "did you mean 'EUROPE'" in missing.json()["detail"], view
        unsegmented = viewer.get(f"/api/kpis/quarterly_revenue/{view}", params={"segment": "EUROPE"})
        assert unsegmented.status_code == 404 and "not broken down by segment" in unsegmented.json()["detail"]
        plain = viewer.get(f"/api/kpis/orders_by_region/{view}")
        assert plain.status_code == 200, (view, plain.text)
        assert plain.json() == viewer.get(f"/api/kpis/orders_by_region/{view}", params={"segment": first}).json()
    evaluations = viewer.get("/api/kpis/orders_by_region/evaluations").json()
    assert evaluations and {e["segment"] for e in evaluations} == {first}
    chart = viewer.get("/api/kpis/orders_by_region/chart").json()
    assert chart["days"]  # the first segment's current period, not "no KPI"
    export = viewer.get("/kpis/orders_by_region/export.csv")
    assert export.status_code == 200 and export.text.startswith("day,actual")
    assert viewer.get("/kpis/orders_by_region/export.csv", params={"segment": "EUROP"}).status_code == 404
    assert viewer.get("/api/kpis/no_such_kpi/chart").status_code == 404

"""A KPI made or changed in the app is judged at once, and its definitions hold finite numbers only.

Found on the served demo: after ``PUT /api/kpis/{name}/targets`` raised a monthly target from 100 to
5,000,000, the scorecard, the KPI page, ``onpace status`` and the objective's roll-up still showed
the target 100 and "on track" until the next refresh, while the same KPI asked ``?as_of=`` its
evaluation date showed 5,000,000 and "off track": one KPI, one date, two verdicts. A KPI made in
the app was missing from the scorecard until a refresh. And a target of ``"1e400"`` or ``"nan"``
passed the validation and failed later with a 500 (the audit refused the number).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.conftest import Site

KPI = {
    "name": "revenue_this_quarter",
    "metric": "revenue",  # by quarter in the store already (quarterly_revenue): judged without a refresh
    "objective": "grow_sales",
    "owner": "CFO",
    "timeframe": "quarter",
    "review_cadence": "monthly",
    "target": {"at_least": 1},
}


def _row(client: Any, name: str, **params: str) -> dict[str, Any]:
    rows = [r for r in client.get("/api/kpis", params=params).json() if r["kpi"] == name]
    assert len(rows) == 1, rows
    return rows[0]


def test_a_kpi_made_and_retargeted_in_the_app_is_judged_at_once(site: Site) -> None:
    client = site.login("strategist")
    others = {r["kpi"]: r["evaluated_at"] for r in client.get("/api/kpis").json()}
    assert client.post("/api/kpis", json=KPI).status_code == 201
    # that KPI alone is judged: the others keep their evaluations (each change judged them all again)
    after = {r["kpi"]: r["evaluated_at"] for r in client.get("/api/kpis").json() if r["kpi"] != KPI["name"]}
    assert after == others
    made = _row(client, KPI["name"])  # was missing until a refresh
    assert made["target"] == 1.0 and made["actual"] is not None and made["actual"] >= 1
    assert made["status"] in ("on_track", "achieved")

    answer = client.put(f"/api/kpis/{KPI['name']}/targets", json={"targets": [{"at_least": 1e12}]})
    assert answer.status_code == 200, answer.text
    stored = _row(client, KPI["name"])
    assert stored["target"] == 1e12  # was still 1 and on track
    assert stored["status"] in ("off_track", "missed")
    again = _row(client, KPI["name"], as_of=stored["as_of"])  # judged afresh on the same date: the same verdict
    assert (again["target"], again["status"], again["actual"]) == (
        stored["target"],
        stored["status"],
        stored["actual"],
    )
    page = client.get(f"/api/kpis/{KPI['name']}/page").json()
    assert page["row"]["target"] == 1e12 and page["row"]["status"] == stored["status"]


@pytest.mark.parametrize("number", ["1e400", "nan", "inf", "-Infinity"])
def test_a_target_that_is_not_a_finite_number_is_refused(site: Site, number: str) -> None:
    client = site.login("strategist")
    app = site.root / "models" / "app.yml"
    before = app.read_text(encoding="utf-8") if app.exists() else None
    made = client.post("/api/kpis", json={**KPI, "target": {"at_least": number}})
    assert made.status_code == 422, made.text
    assert "at_least" in made.text and "finite" in made.text
    assert client.post("/api/kpis", json=KPI).status_code == 201
    changed = client.put(f"/api/kpis/{KPI['name']}/targets", json={"targets": [{"between": [0, number]}]})
    assert changed.status_code == 422, changed.text
    assert "between" in changed.text and "finite" in changed.text
    assert _row(client, KPI["name"])["target"] == 1.0  # the KPI is as it was
    assert before is None or "revenue_this_quarter" not in before


def test_a_target_of_true_or_false_is_refused_everywhere(site: Site) -> None:
    """``{"at_least": true}`` was taken as 1.0 by PUT /targets (200) and by a promotion, which wrote
    ``at_least: true`` into models/promoted.yml; ``{"at_most": false}`` became 0 and was refused for
    the target's direction instead. YAML's ``yes`` is the same true."""
    from onpace.catalog.project import load_project
    from onpace.errors import DefinitionError

    client = site.login("strategist")
    for target in ({"at_least": True}, {"at_most": False}, {"between": [True, 5]}):
        made = client.post("/api/kpis", json={**KPI, "name": "truth_target", "target": target})
        assert made.status_code == 422, made.text
        assert "expected a number, not true or false" in made.text, made.text
    assert client.post("/api/kpis", json=KPI).status_code == 201
    changed = client.put(f"/api/kpis/{KPI['name']}/targets", json={"targets": [{"at_least": True}]})
    assert changed.status_code == 422 and "not true or false" in changed.text, changed.text
    assert _row(client, KPI["name"])["target"] == 1.0  # as it was
    promoted = site.root / "models" / "promoted.yml"
    before = promoted.read_text(encoding="utf-8") if promoted.exists() else None
    promotion = {"objective": "grow_sales", "owner": "x", "timeframe": "month", "target": {"at_least": True}}
    answer = client.post("/api/metrics/revenue/promote", json=promotion)
    assert 400 <= answer.status_code < 500 and "not true or false" in answer.text, answer.text
    assert (promoted.read_text(encoding="utf-8") if promoted.exists() else None) == before  # nothing written

    goals = site.root / "models" / "yes.yml"
    goals.write_text(
        "kpis:\n  - name: yes_target\n    metric: orders\n    objective: grow_sales\n    owner: CFO\n"
        "    timeframe: quarter\n    review_cadence: monthly\n    target: {at_least: yes}\n",
        encoding="utf-8",
    )
    try:
        with pytest.raises(DefinitionError) as raised:
            load_project(site.root)
        assert "yes.yml" in str(raised.value) and "at_least: expected a number" in str(raised.value)
    finally:
        goals.unlink()


def test_a_definition_file_with_a_nan_target_does_not_validate(site: Site) -> None:
    from onpace.catalog.project import load_project
    from onpace.errors import DefinitionError

    goals = site.root / "models" / "nan.yml"
    goals.write_text(
        "kpis:\n  - name: nan_target\n    metric: orders\n    objective: grow_sales\n    owner: CFO\n"
        "    timeframe: quarter\n    review_cadence: monthly\n    target: {at_most: .nan}\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as raised:
        load_project(site.root)
    assert "nan.yml" in str(raised.value) and "at_most" in str(raised.value) and "finite" in str(raised.value)


def test_a_kpi_whose_series_no_refresh_computed_gets_them_from_a_refresh_started_at_once(site: Site) -> None:
    """A KPI made on a segment no refresh has computed (Europe's revenue by quarter) showed no data,
    "no data for the period yet", until the next scheduled refresh: a refresh of its metric starts
    when it is made, and its actual then is the quarter's revenue to date by hand-written SQL."""
    import time

    from tests.api.test_api import sql

    client = site.login("strategist")
    runs_before = {run["id"] for run in client.get("/api/runs").json()}
    europe = {**KPI, "name": "revenue_of_europe_quarter", "segment": "region = 'EUROPE'"}
    assert client.post("/api/kpis", json=europe).status_code == 201
    started = [run for run in client.get("/api/runs").json() if run["id"] not in runs_before]
    assert len(started) == 1, started
    deadline = time.monotonic() + 120
    run = started[0]
    while run["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        run = client.get(f"/api/runs/{run['id']}").json()
    assert run["status"] == "succeeded", run
    row = _row(client, "revenue_of_europe_quarter")
    (total,) = sql(
        site.root,
        "select sum(l_extendedprice * (1 - l_discount)) from lineitem join orders on o_orderkey = l_orderkey "
        "join customer on c_custkey = o_custkey join nation on n_nationkey = c_nationkey "
        "join region on r_regionkey = n_regionkey "
        f"where r_name = 'EUROPE' and o_orderdate between date '{row['period_start']}' and date '{row['as_of']}'",
    )[0]
    assert row["actual"] == pytest.approx(float(total), rel=1e-9)
    # a KPI whose series are stored starts no refresh
    runs_now = {r["id"] for r in client.get("/api/runs").json()}
    assert client.post("/api/kpis", json={**KPI, "name": "revenue_again"}).status_code == 201
    assert {r["id"] for r in client.get("/api/runs").json()} == runs_now


def test_a_put_whose_body_names_another_definition_is_refused(site: Site) -> None:
    """PUT /api/kpis/revenue_this_quarter with "name": "other_name" answered 200 and kept the URL's name
    (the objectives' PUT too), where the page's editor refuses a rename: now refused, nothing changed."""
    client = site.login("strategist")
    assert client.post("/api/kpis", json=KPI).status_code == 201
    renamed = client.put(f"/api/kpis/{KPI['name']}", json={**KPI, "name": "other_name", "owner": "Someone"})
    assert renamed.status_code == 422, renamed.text
    assert "the name is 'revenue_this_quarter'" in renamed.text and "other_name" in renamed.text
    definition = client.get(f"/api/kpis/{KPI['name']}").json()["definition"]
    assert definition["owner"] == "CFO"  # as it was
    assert client.get("/api/kpis/other_name").status_code == 404
    same = client.put(f"/api/kpis/{KPI['name']}", json={**KPI, "owner": "Someone"})
    assert same.status_code == 200, same.text
    assert client.get(f"/api/kpis/{KPI['name']}").json()["definition"]["owner"] == "Someone"

"""The REST API, in process: logins, roles, CSRF, writes, pushes, uploads, and numbers checked against SQL."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import pytest
import yaml
from tests.api.conftest import PASSWORD, Site

from onpace.examples.tpch_data import DATABASE
from onpace.services import auth
from onpace.store import users as store_users


def sql(root: Path, query: str) -> list[tuple[object, ...]]:
    """Run hand-written SQL on a copy of the data (the app's own connection holds the file in this process)."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "tpch.duckdb"
        shutil.copy(root / DATABASE, copy)
        con = duckdb.connect(str(copy), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()


# -- logging in ------------------------------------------------------------------------------------
def test_login_sets_an_httponly_cookie_and_wrong_passwords_are_rate_limited(site: Site) -> None:
    answer = site.client.post("/api/login", json={"name": "viewer", "password": PASSWORD})
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert answer.json()["role"] == "viewer" and "comment" not in answer.json()["permissions"]

    for _ in range(auth.MAX_FAILURES_PER_NAME):
        assert site.client.post("/api/login", json={"name": "editor", "password": "wrong password"}).status_code == 401
    # now even the right password is refused for a while, with a message that says so
    refused = site.client.post("/api/login", json={"name": "editor", "password": PASSWORD})
    assert refused.status_code == 429 and "too many failed logins" in refused.json()["detail"]
    # other users are not locked out
    assert site.client.post("/api/login", json={"name": "strategist", "password": PASSWORD}).status_code == 200


def test_passwords_and_sessions_are_not_stored_in_clear(site: Site) -> None:
    client = site.login("admin")
    cookie = client.cookies.get("onpace_session")
    assert cookie
    with site.workspace.store.session(readonly=True) as s:
        user = store_users.get_user(s, "admin")
        assert user is not None and user.password_hash.startswith("$argon2") and PASSWORD not in user.password_hash
        assert store_users.session_by_hash(s, cookie) is None  # the store holds only the hash
        assert store_users.session_by_hash(s, auth.digest(cookie)) is not None


def test_logout_ends_the_session(site: Site) -> None:
    client = site.login("viewer")
    assert client.get("/api/me").status_code == 200
    assert client.post("/api/logout").status_code == 204
    assert client.get("/api/me").status_code == 401


def test_first_admin_setup_cannot_be_replayed(site: Site, tmp_path: Path) -> None:
    # users exist: the setup page is closed and posting to it creates nobody
    answer = site.client.post("/setup", data={"name": "mallory", "password": "x" * 12}, follow_redirects=False)
    assert answer.status_code == 409
    with site.workspace.store.session(readonly=True) as s:
        assert store_users.get_user(s, "mallory") is None
    # on an empty store, the first admin is made once
    from onpace.store.db import Store

    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        auth.first_admin(store, "root", "a root password")
        with pytest.raises(Exception, match="set up already"):
            auth.first_admin(store, "second", "another password")
    finally:
        store.close()


def test_a_session_write_needs_the_csrf_token(site: Site) -> None:
    client = site.login("editor")
    token = client.headers.pop("X-CSRF-Token")
    refused = client.post("/api/kpis/quarterly_revenue/comments", json={"body": "no token"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.headers["X-CSRF-Token"] = "not the token"
    assert client.post("/api/kpis/quarterly_revenue/comments", json={"body": "bad token"}).status_code == 403
    client.headers["X-CSRF-Token"] = token
    assert client.post("/api/kpis/quarterly_revenue/comments", json={"body": "good"}).status_code == 201


# -- roles -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "comment", "review", "goals", "users"),
    [
        ("viewer", 403, 403, 403, 403),
        ("editor", 201, 403, 403, 403),
        ("strategist", 201, 201, 201, 403),
        ("admin", 201, 201, 201, 200),
    ],
)
def test_roles_are_enforced_by_the_server(
    site: Site, role: str, comment: int, review: int, goals: int, users: int
) -> None:
    client = site.login(role)
    assert client.post("/api/kpis/quarterly_revenue/comments", json={"body": "hello"}).status_code == comment
    answer = client.post(
        "/api/kpis/quarterly_revenue/reviews", json={"assessment": "at_risk", "commentary": "behind plan"}
    )
    assert answer.status_code == review
    made = client.post("/api/objectives", json={"name": f"obj_{role}", "owner": "someone"})
    assert made.status_code == goals, made.text
    assert client.get("/api/users").status_code == users
    assert client.get("/api/audit").status_code == users
    assert client.get("/api/kpis").status_code == 200  # everyone reads


def test_changes_are_audited_and_admins_read_the_log(site: Site) -> None:
    editor = site.login("editor")
    editor.post("/api/kpis/quarterly_revenue/comments", json={"body": "looks low"})
    editor.post("/api/kpis/quarterly_revenue/annotations", json={"date": "1998-07-15", "label": "price change"})
    entries = site.login("admin").get("/api/audit", params={"actor": "editor"}).json()
    actions = {e["action"] for e in entries}
    assert {"comment.create", "annotation.create", "login"} <= actions


# -- definitions: YAML is read-only, the app's own file is not -----------------------------------
def test_objects_from_yaml_are_read_only_with_a_hint(site: Site) -> None:
    client = site.login("strategist")
    answer = client.put("/api/kpis/quarterly_revenue", json={"name": "quarterly_revenue", "owner": "me"})
    assert answer.status_code == 409
    assert "goals.yml" in answer.json()["detail"] and "onpace apply" in answer.json()["hint"]
    assert client.put("/api/kpis/quarterly_revenue/targets", json={"targets": [{"at_least": 1}]}).status_code == 409
    assert client.delete("/api/objectives/grow_sales").status_code == 409


def test_objectives_and_kpis_made_in_the_app_live_in_models_app_yml(site: Site) -> None:
    client = site.login("strategist")
    made = client.post("/api/objectives", json={"name": "margin", "label": "Protect the margin", "owner": "CFO"})
    assert made.status_code == 201, made.text
    kpi = {
        "name": "big_orders",
        "metric": "orders",
        "objective": "margin",
        "owner": "CFO",
        "timeframe": "quarter",
        "review_cadence": "monthly",
        "target": {"at_least": 100},
    }
    assert client.post("/api/kpis", json=kpi).status_code == 201
    written = yaml.safe_load((site.root / "models" / "app.yml").read_text(encoding="utf-8"))
    assert [o["name"] for o in written["objectives"]] == ["margin"]
    assert written["kpis"][0]["target"] == {"at_least": 100.0}
    # a schedule of targets replaces the single one, and the change is in the target history
    schedule = {"targets": [{"from": "1998-01-01", "at_least": 120}, {"from": "1998-07-01", "at_least": 150}]}
    assert client.put("/api/kpis/big_orders/targets", json=schedule).status_code == 200
    history = client.get("/api/kpis/big_orders/targets").json()
    assert history[-1]["changed_by"] == "strategist" and len(history[-1]["new"]["targets"]) == 2
    got = client.get("/api/kpis/big_orders").json()
    assert got["managed_by"] == "app" and len(got["definition"]["targets"]) == 2
    # a KPI that does not validate is refused with the problem, and the file is left as it was
    before = (site.root / "models" / "app.yml").read_text(encoding="utf-8")
    bad = client.post("/api/kpis", json={**kpi, "name": "broken", "metric": "no_such_metric"})
    assert bad.status_code == 422 and "no_such_metric" in bad.text
    assert (site.root / "models" / "app.yml").read_text(encoding="utf-8") == before
    assert client.delete("/api/kpis/big_orders").status_code == 204
    assert client.get("/api/kpis/big_orders").status_code == 404


# -- pushed and uploaded values ----------------------------------------------------------------------
def test_pushed_values_are_idempotent_by_period_and_segment(site: Site) -> None:
    client = site.login("editor")  # department Sales, like field_visits
    body = {"observations": [{"period": "1998-07-01", "value": 3}, {"period": "1998-07-02", "value": 4.5}]}
    for _ in range(2):
        answer = client.post("/api/metrics/field_visits/observations", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["rows"] == 2
    rows = client.get("/api/metrics/field_visits/observations", params={"grain": "day"}).json()["rows"]
    assert rows == [{"period": "1998-07-01", "value": 3.0}, {"period": "1998-07-02", "value": 4.5}]
    changed = {"observations": [{"period": "1998-07-02", "value": 5}]}
    client.post("/api/metrics/field_visits/observations", json=changed)
    rows = client.get("/api/metrics/field_visits/observations", params={"grain": "day"}).json()["rows"]
    assert rows[-1] == {"period": "1998-07-02", "value": 5.0}


def test_editors_enter_values_only_for_their_department(site: Site) -> None:
    client = site.login("editor")
    answer = client.post(
        "/api/metrics/ad_spend/observations", json={"observations": [{"period": "1998-07-01", "value": 1}]}
    )
    assert answer.status_code == 403 and "Marketing" in answer.json()["detail"]
    admin = site.login("admin")
    ok = admin.post("/api/metrics/ad_spend/observations", json={"observations": [{"period": "1998-07-01", "value": 1}]})
    assert ok.status_code == 200


def test_a_bad_csv_reports_every_bad_row_and_writes_nothing(site: Site) -> None:
    client = site.login("admin")
    text = (
        "metric,period,value\n"
        "field_visits,1998-07-01,3\n"
        "no_such_metric,1998-07-01,1\n"
        "field_visits,1998-13-01,2\n"
        "field_visits,1998-07-03,lots\n"
        "field_visits,1998-07-01,4\n"
    )
    answer = client.post("/api/values/import", files={"file": ("visits.csv", text.encode(), "text/csv")})
    assert answer.status_code == 422
    lines = sorted(i["line"] for i in answer.json()["issues"])
    assert lines == [3, 4, 5, 6], answer.json()
    assert "nothing was imported" in answer.json()["detail"]
    rows = client.get("/api/metrics/field_visits/observations", params={"grain": "day"}).json()["rows"]
    assert rows == []
    good = "metric,period,value\nfield_visits,1998-07-01,3\nfield_visits,1998-07-02,1\n"
    done = client.post("/api/values/import", files={"file": ("visits.csv", good.encode(), "text/csv")})
    assert done.status_code == 200 and done.json()["rows"] == 2


def test_an_upload_names_its_decimal_mark_and_separator_as_form_fields(site: Site) -> None:
    """Regression: an ambiguous value (1.234 in a file separated by semicolons) was refused telling the
    API client to use --decimal or --delimiter, which the route did not take."""
    client = site.login("editor")
    text = "metric;period;value\nfield_visits;1998-07-01;1.234\n"
    upload = {"file": ("visits.csv", text.encode(), "text/csv")}
    ambiguous = client.post("/api/values/import", files=upload)
    assert ambiguous.status_code == 422
    said = str(ambiguous.json())
    assert "decimal=comma or decimal=point" in said and "--decimal" not in said
    as_thousands = client.post("/api/values/import", files=upload, data={"decimal": "comma"})
    assert as_thousands.status_code == 200, as_thousands.text
    day = {"grain": "day", "start": "1998-07-01", "end": "1998-07-01"}
    assert client.get("/api/metrics/field_visits/observations", params=day).json()["rows"][0]["value"] == 1234.0
    as_decimal = client.post("/api/values/import", files=upload, data={"decimal": "point", "delimiter": "semicolon"})
    assert as_decimal.status_code == 200, as_decimal.text
    assert client.get("/api/metrics/field_visits/observations", params=day).json()["rows"][0]["value"] == 1.234
    tabs = client.post(
        "/api/values/import",
        files={"file": ("v.tsv", b"metric\tperiod\tvalue\nfield_visits\t1998-07-02\t7\n", "text/csv")},
        data={"delimiter": "tab"},
    )
    assert tabs.status_code == 200 and tabs.json()["rows"] == 1
    wrong = client.post("/api/values/import", files=upload, data={"decimal": "dot"})
    assert wrong.status_code == 422 and "decimal" in wrong.text


def test_unknown_keys_types_and_overlong_items_are_named(site: Site) -> None:
    """Regressions: ?type=bogus listed no metric with a 200 (as if none matched); a comment's unknown
    key ("segment") was dropped without a word; a review's action item had no length limit."""
    viewer = site.login("viewer")
    bogus = viewer.get("/api/metrics", params={"type": "bogus"})
    assert bogus.status_code == 422 and "type" in bogus.text and "ratio" in bogus.text
    assert viewer.get("/metrics", params={"type": "bogus"}).status_code == 422
    ratios = viewer.get("/api/metrics", params={"type": "ratio"}).json()
    assert ratios and {metric["type"] for metric in ratios} == {"ratio"}
    assert viewer.get("/metrics", params={"type": ""}).status_code == 200  # "all" in the page's picker
    editor = site.login("editor")
    comment = editor.post("/api/kpis/quarterly_revenue/comments", json={"body": "looks low", "segment": "EUROPE"})
    assert comment.status_code == 422 and "segment" in comment.text
    assert editor.get("/api/kpis/quarterly_revenue/comments").json() == []  # nothing written
    strategist = site.login("strategist")
    review = {"assessment": "at_risk", "commentary": "slow quarter", "actions": ["call the buyers", "x" * 2_001]}
    too_long = strategist.post("/api/kpis/quarterly_revenue/reviews", json=review)
    assert too_long.status_code == 422 and "actions" in too_long.text
    review["actions"] = ["call the buyers"]
    # an API caller is told the API's field (it was told of the CLI's --comment and --segment alone)
    blank = strategist.post("/api/kpis/quarterly_revenue/reviews", json={**review, "commentary": " "})
    assert blank.status_code == 400 and "commentary in the API" in blank.json()["detail"], blank.text
    segmented = strategist.post("/api/kpis/quarterly_revenue/reviews", json={**review, "segment": "EUROPE"})
    assert segmented.status_code == 400 and "without a segment" in segmented.json()["detail"], segmented.text
    assert strategist.post("/api/kpis/quarterly_revenue/reviews", json=review).status_code == 201


def test_bad_query_parameters_get_a_clear_error(site: Site) -> None:
    client = site.login("viewer")
    answer = client.get("/api/metrics/revenue/observations", params={"by": "regoin"})
    assert answer.status_code == 400 and "region" in answer.json()["detail"]
    assert client.get("/api/metrics/revenue/observations", params={"grain": "fortnight"}).status_code == 422
    assert client.get("/api/metrics/revnue").status_code == 404
    assert "did you mean 'revenue'" in client.get("/api/metrics/revnue").json()["detail"]
    bad_range = client.get("/api/metrics/revenue/observations", params={"start": "1998-02-01", "end": "1998-01-01"})
    assert bad_range.status_code == 400


# -- numbers, against hand-written SQL ------------------------------------------------------------
def test_breakdown_by_region_matches_hand_written_sql(site: Site) -> None:
    client = site.login("viewer")
    answer = client.get(
        "/api/metrics/revenue/observations", params={"by": "region", "start": "1997-01-01", "end": "1997-06-30"}
    )
    assert answer.status_code == 200, answer.text
    got = {r["value_of"]: r["value"] for r in answer.json()["rows"]}
    expected = dict(
        sql(
            site.root,
            """
            select r.r_name, sum(l.l_extendedprice * (1 - l.l_discount))
            from lineitem l join orders o on o.o_orderkey = l.l_orderkey
            join customer c on c.c_custkey = o.o_custkey join nation n on n.n_nationkey = c.c_nationkey
            join region r on r.r_regionkey = n.n_regionkey
            where o.o_orderdate between date '1997-01-01' and date '1997-06-30'
            group by 1
            """,
        )
    )
    assert set(got) == set(expected) and len(got) == 5
    for region, value in expected.items():
        assert got[region] == pytest.approx(float(value), rel=1e-9)
    values = [r["value"] for r in answer.json()["rows"]]
    assert values == sorted(values, reverse=True)  # largest first


def test_monthly_values_from_the_store_match_hand_written_sql(site: Site) -> None:
    client = site.login("viewer")
    answer = client.get(
        "/api/metrics/orders/observations", params={"grain": "month", "start": "1997-01-01", "end": "1997-12-31"}
    )
    body = answer.json()
    assert body["source"] == "store"  # whole months: the stored series (an end inside December is live, partial)
    assert body["partial_periods"] == []
    expected = sql(
        site.root,
        "select date_trunc('month', o_orderdate)::date, count(distinct o_orderkey) from orders "
        "where o_orderdate between date '1997-01-01' and date '1997-12-31' group by 1 order by 1",
    )
    assert [(r["period"], r["value"]) for r in body["rows"]] == [(p.isoformat(), float(n)) for p, n in expected]


def test_kpi_chart_ends_where_the_evaluation_is(site: Site) -> None:
    client = site.login("viewer")
    row = next(r for r in client.get("/api/kpis").json() if r["kpi"] == "quarterly_revenue")
    chart = client.get("/api/kpis/quarterly_revenue/chart").json()
    assert chart["cumulative"] is True
    assert chart["days"][0] == row["period_start"] and chart["days"][-1] == row["period_end"]
    at = chart["days"].index(row["as_of"])
    # the cumulative actual on the as-of date is the actual to date, summed independently from the data
    (total,) = sql(
        site.root,
        "select sum(l_extendedprice * (1 - l_discount)) from lineitem join orders on o_orderkey = l_orderkey "
        f"where o_orderdate between date '{row['period_start']}' and date '{row['as_of']}'",
    )[0]
    assert chart["actual"][at] == pytest.approx(float(total), rel=1e-9)
    assert chart["actual"][at] == pytest.approx(row["actual"], rel=1e-12)
    assert chart["target"][at] == pytest.approx(row["expected_to_date"], rel=1e-9)
    assert chart["target"][-1] == pytest.approx(row["target"], rel=1e-12)  # the whole target by the last day
    assert chart["cone"]["value"] == row["forecast"] and chart["cone"]["from"] == row["as_of"]


# -- refresh ---------------------------------------------------------------------------------------
def test_a_refresh_started_through_the_api_runs_in_the_background(site: Site) -> None:
    client = site.login("strategist")
    started = client.post("/api/runs", json={"metrics": ["orders"]})
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] != "running":
            break
        time.sleep(0.2)
    assert run["status"] == "succeeded", run
    assert run["requested_by"] == "strategist" and run["scope"] == ["orders"]
    assert site.login("viewer").post("/api/runs", json={}).status_code == 403
    assert client.post("/api/runs", json={"metrics": ["nope"]}).status_code == 400


def test_evaluations_and_periods_are_served(site: Site) -> None:
    client = site.login("viewer")
    history = client.get("/api/kpis/quarterly_revenue/evaluations").json()
    assert history and history[-1]["status"] in {"on_track", "at_risk", "off_track", "achieved", "missed", "no_data"}
    assert dt.date.fromisoformat(history[-1]["period_start"]) <= dt.date.fromisoformat(history[-1]["as_of"])
    tree = client.get("/api/objectives").json()
    assert {n["name"] for n in tree} >= {"grow_sales"}

"""``/api/alerts``: rules and their state, history, mutes, a test run, and rules made through the API.

The expected states follow from the rules' numbers alone (tests/alerts_ui/conftest.py); the roles
from docs/web.md's table (viewers read, editors mute, strategists define rules).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from tests.site_fixtures import Site

from onpace.catalog.project import load_project

APP_FILE = ("models", "app.yml")


def _rule(client: Any, name: str) -> dict[str, Any]:
    answer = client.get(f"/api/alerts/{name}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _problem_fields(answer: Any) -> list[str]:
    return [".".join(str(part) for part in p["loc"]) for p in answer.json()["detail"]]


def test_rules_with_their_state(alert_site: Site) -> None:
    viewer = alert_site.login("viewer")
    answer = viewer.get("/api/alerts")
    assert answer.status_code == 200, answer.text
    rules = {r["name"]: r for r in answer.json()}
    assert set(rules) == {"always_firing", "never_firing", "returns_worse"}
    firing, quiet = rules["always_firing"], rules["never_firing"]
    assert firing["state"] == "firing" and quiet["state"] == "normal"
    assert firing["kind"] == "threshold" and firing["scope"] == "kpi:quarterly_revenue"
    assert firing["label"] == "Revenue under a quadrillion" and not firing["managed_by_app"]
    assert [s["state"] for s in firing["series"]] == ["firing"]
    assert firing["series"][0]["kpi"] == "quarterly_revenue"
    # the value the condition was judged on is the KPI's actual of its latest evaluation
    actual = viewer.get("/api/kpis/quarterly_revenue").json()["evaluations"][0]["actual"]
    assert firing["series"][0]["value"] == actual
    assert _rule(viewer, "never_firing")["series"][0]["state"] == "normal"
    missing = viewer.get("/api/alerts/no_such_rule")
    assert missing.status_code == 404


def test_history_and_its_parameters(alert_site: Site) -> None:
    viewer = alert_site.login("viewer")
    history = viewer.get("/api/alerts/history", params={"rule": "always_firing"})
    assert history.status_code == 200, history.text
    moves = history.json()
    assert moves and {t["rule"] for t in moves} == {"always_firing"}
    assert moves[0]["to_state"] == "firing" and moves[0]["kpi"] == "quarterly_revenue"
    by_kpi = viewer.get("/api/alerts/history", params={"kpi": "returns_in_1998"}).json()
    assert {t["rule"] for t in by_kpi} <= {"returns_worse"}
    assert len(viewer.get("/api/alerts/history", params={"limit": 1}).json()) == 1

    unknown = viewer.get("/api/alerts/history", params={"rule": "always_firin"})
    assert unknown.status_code == 400
    assert "rule" in unknown.json()["detail"] and "always_firing" in unknown.json()["detail"]
    assert viewer.get("/api/alerts/history", params={"kpi": "nope"}).status_code == 400
    for bad in ({"limit": 0}, {"limit": 1001}, {"limit": "many"}):
        answer = viewer.get("/api/alerts/history", params=bad)
        assert answer.status_code == 422, bad
        assert _problem_fields(answer) == ["query.limit"]
    too_long = viewer.get("/api/alerts/history", params={"rule": "x" * 200})
    assert too_long.status_code == 422 and _problem_fields(too_long) == ["query.rule"]


def test_roles(alert_site: Site) -> None:
    viewer, editor = alert_site.login("viewer"), alert_site.login("editor")
    mute = {"for": "2 hours", "why": "known"}
    refused = viewer.post("/api/alerts/always_firing/mute", json=mute)
    assert refused.status_code == 403 and "viewer" in refused.json()["detail"]
    # the refusal names what was refused (it said "may not annotate")
    assert "may not mute" in refused.json()["detail"] and "annotate" not in refused.json()["detail"]
    definition = {"name": "x", "kind": "threshold", "kpi": "quarterly_revenue", "above": 1}
    assert viewer.post("/api/alerts", json=definition).status_code == 403
    assert editor.post("/api/alerts", json=definition).status_code == 403  # rules are definitions: strategists
    assert editor.put("/api/alerts/always_firing", json=definition).status_code == 403
    assert editor.delete("/api/alerts/always_firing").status_code == 403
    assert viewer.delete("/api/alerts/mutes/1").status_code == 403
    send = viewer.post("/api/alerts/always_firing/test", json={"send": True})
    assert send.status_code == 403 and "may not send test messages" in send.json()["detail"]
    assert viewer.post("/api/alerts/always_firing/test", json={}).status_code == 200
    assert editor.post("/api/alerts/always_firing/mute", json=mute).status_code == 201
    anonymous = alert_site.client.get("/api/alerts")
    assert anonymous.status_code == 401


def test_mute_payloads_are_checked(alert_site: Site) -> None:
    editor = alert_site.login("editor")
    url = "/api/alerts/always_firing/mute"
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)).isoformat()
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    far = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).isoformat()
    for body, field in (
        ({"until": soon, "for": "1 day", "why": "x"}, "until"),
        ({"why": "x"}, "for"),
        ({"until": past, "why": "x"}, "until"),
        ({"until": far, "why": "x"}, "366 days"),
        ({"for": "3 fortnights", "why": "x"}, "for"),
        ({"for": "99999999999 weeks", "why": "x"}, "for"),
    ):
        answer = editor.post(url, json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert field in answer.json()["detail"], (body, answer.json())
        # "not both" only when both were given (a mute with neither was told "not both")
        assert ("not both" in answer.json()["detail"]) == ("until" in body and "for" in body), (body, answer.json())
    for body, field in (
        ({"for": "1 day"}, "body.why"),
        ({"for": "1 day", "why": ""}, "body.why"),
        ({"for": "1 day", "why": "   "}, "body.why"),
        ({"until": "tomorrow", "why": "x"}, "body.until"),
        ({"for": "1 day", "why": "x", "who": "someone else"}, "body.who"),
        ({"for": "1 day", "why": "x" * 2001}, "body.why"),
    ):
        answer = editor.post(url, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in _problem_fields(answer), (body, answer.json())
    assert editor.post("/api/alerts/no_such_rule/mute", json={"for": "1h", "why": "x"}).status_code == 404
    assert _rule(editor, "always_firing")["mutes"] == []  # nothing refused left a mute behind


def test_mute_then_unmute(alert_site: Site) -> None:
    editor = alert_site.login("editor")
    before = dt.datetime.now(dt.UTC)
    made = editor.post("/api/alerts/always_firing/mute", json={"for": "2 days", "why": "the move to the new warehouse"})
    assert made.status_code == 201, made.text
    mute = made.json()
    assert mute["by"] == "editor" and mute["why"] == "the move to the new warehouse" and mute["series"] is None
    until = dt.datetime.fromisoformat(mute["until"])
    assert before + dt.timedelta(days=2) <= until <= dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    rule = _rule(editor, "always_firing")
    assert [m["id"] for m in rule["mutes"]] == [mute["id"]]
    assert rule["series"][0]["muted_until"] is not None
    assert rule["state"] == "firing"  # a mute silences the messages; the state is still what it is

    gone = editor.delete(f"/api/alerts/mutes/{mute['id']}")
    assert gone.status_code == 204, gone.text
    assert _rule(editor, "always_firing")["mutes"] == []
    assert editor.delete(f"/api/alerts/mutes/{mute['id'] + 1000}").status_code == 404
    assert editor.delete("/api/alerts/mutes/0").status_code == 422


def test_a_test_run_records_nothing(alert_site: Site) -> None:
    viewer = alert_site.login("viewer")
    history = viewer.get("/api/alerts/history").json()
    answer = viewer.post("/api/alerts/always_firing/test", json={})
    assert answer.status_code == 200, answer.text
    series = answer.json()
    assert [s["state"] for s in series] == ["firing"]
    assert viewer.get("/api/alerts/history").json() == history
    assert viewer.post("/api/alerts/no_such_rule/test", json={}).status_code == 404
    assert viewer.post("/api/alerts/always_firing/test", json={"send": "often"}).status_code == 422


def test_a_rule_made_through_the_api_is_code(alert_site: Site) -> None:
    strategist = alert_site.login("strategist")
    definition = {
        "name": "made_here",
        "label": "Revenue above one",
        "kind": "threshold",
        "kpi": "quarterly_revenue",
        "value": "actual",
        "above": 1,
        "renotify_every": "2 days",
        "for": 2,
    }
    made = strategist.post("/api/alerts", json=definition)
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "made_here" and made.json()["managed_by_app"] is True
    written = yaml.safe_load(alert_site.root.joinpath(*APP_FILE).read_text(encoding="utf-8"))
    assert written["alerts"] == [definition]  # as written: durations in words, 'for' a number of evaluations
    loaded = load_project(alert_site.root).alerts["made_here"]
    assert loaded.renotify_every == dt.timedelta(days=2) and loaded.pending.evaluations == 2
    assert strategist.post("/api/alerts", json=definition).status_code == 409  # the name is taken

    changed = strategist.put("/api/alerts/made_here", json={**definition, "label": "Changed"})
    assert changed.status_code == 200, changed.text
    assert load_project(alert_site.root).alerts["made_here"].label == "Changed"
    assert strategist.get("/api/alerts/made_here").json()["label"] == "Changed"

    assert strategist.delete("/api/alerts/made_here").status_code == 204
    assert "made_here" not in load_project(alert_site.root).alerts
    assert strategist.delete("/api/alerts/made_here").status_code == 404


def test_bad_definitions_are_refused_and_nothing_is_written(alert_site: Site) -> None:
    strategist = alert_site.login("strategist")
    app_file = alert_site.root.joinpath(*APP_FILE)
    before = app_file.read_text(encoding="utf-8") if app_file.exists() else None
    bad_kind = strategist.post("/api/alerts", json={"name": "bad", "kind": "sometimes", "kpi": "quarterly_revenue"})
    assert bad_kind.status_code == 422, bad_kind.text
    assert any(issue["path"] == "kind" for issue in bad_kind.json()["issues"])
    unknown_kpi = strategist.post(
        "/api/alerts", json={"name": "bad", "kind": "threshold", "kpi": "quartely_revenue", "above": 1}
    )
    assert unknown_kpi.status_code == 422, unknown_kpi.text
    assert "quartely_revenue" in unknown_kpi.text and "quarterly_revenue" in unknown_kpi.text  # did you mean
    two_bounds = strategist.post(
        "/api/alerts", json={"name": "bad", "kind": "threshold", "kpi": "quarterly_revenue", "above": 1, "below": 2}
    )
    assert two_bounds.status_code == 422 and "above" in two_bounds.text
    nameless = strategist.post("/api/alerts", json={"kind": "threshold"})
    assert nameless.status_code == 422 and "body.name" in _problem_fields(nameless)
    after = app_file.read_text(encoding="utf-8") if app_file.exists() else None
    assert after == before


def test_rules_written_by_hand_are_read_only_here(alert_site: Site) -> None:
    strategist = alert_site.login("strategist")
    definition = {"name": "always_firing", "kind": "threshold", "kpi": "quarterly_revenue", "above": 5}
    for answer in (
        strategist.put("/api/alerts/always_firing", json=definition),
        strategist.delete("/api/alerts/always_firing"),
    ):
        assert answer.status_code == 409, answer.text
        assert "models/alerts.yml" in answer.json()["detail"] and "onpace apply" in answer.json()["hint"]
    created = strategist.post("/api/alerts", json=definition)
    assert created.status_code == 409 and "models/alerts.yml" in created.json()["detail"]
    assert "above: 5" not in alert_site.root.joinpath("models", "alerts.yml").read_text(encoding="utf-8")

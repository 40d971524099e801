"""The Alerts page, the alerts on the KPI page and the firing badge of the scorecard cards (in process)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from fastapi.testclient import TestClient
from tests.alerts_ui.conftest import RULES, add_rules
from tests.site_fixtures import PASSWORD, Site

from onpace.catalog.project import load_project
from onpace.services import alerts
from onpace.store import alerts as store_alerts
from onpace.web.routes import overview


def _states(html: str, testid: str) -> dict[str, str]:
    """data-rule -> data-state of the elements with ``testid``."""
    found = {}
    for tag in re.findall(rf'<[^>]*data-testid="{testid}"[^>]*>', html):
        rule = re.search(r'data-rule="([^"]+)"', tag)
        state = re.search(r'data-state="([^"]+)"', tag)
        assert rule and state, tag
        found[rule.group(1)] = state.group(1)
    return found


def _form_client(site: Site, name: str) -> tuple[TestClient, str]:
    """A browser-like session: the login form's cookie, no CSRF header (forms carry the token)."""
    client = TestClient(site.client.app)
    answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return client, answer.json()["csrf_token"]


def test_the_page_shows_every_rule_and_its_state(alert_site: Site) -> None:
    viewer = alert_site.login("viewer")
    page = viewer.get("/alerts")
    assert page.status_code == 200, page.text
    html = page.text
    states = _states(html, "alert-rule")
    assert set(states) == {"always_firing", "never_firing", "returns_worse"}
    assert states["always_firing"] == "firing" and states["never_firing"] == "normal"
    assert 'data-testid="rule-state" data-state="firing">Firing<' in html  # in colour (class) and in words
    assert "astate-firing" in html and "Revenue under a quadrillion" in html and "kpi:quarterly_revenue" in html
    assert 'data-testid="nav-alerts"' in html
    assert 'data-testid="mute-form"' not in html  # a viewer sees no mute form
    assert 'data-testid="new-rule-form"' not in html
    rows = re.findall(r'data-testid="transition" data-rule="([^"]+)" data-to="([^"]+)"', html)
    assert ("always_firing", "firing") in rows
    only = viewer.get("/alerts", params={"rule": "never_firing"}).text
    assert {
        rule for rule, _ in re.findall(r'data-testid="transition" data-rule="([^"]+)" data-to="([^"]+)"', only)
    } <= {"never_firing"}


def test_the_mute_form_with_its_csrf_token(alert_site: Site) -> None:
    client, csrf = _form_client(alert_site, "editor")
    page = client.get("/alerts").text
    assert 'data-testid="mute-form"' in page and f'name="csrf_token" value="{csrf}"' in page
    form = {"why": "known: the warehouse move", "for": "1 day", "until": "", "series": ""}
    forged = client.post("/alerts/always_firing/mute", data=form)
    assert forged.status_code == 403  # no token
    assert alerts.get_rule(alert_site.workspace.project(), alert_site.workspace.store, "always_firing").mutes == []
    before = dt.datetime.now(dt.UTC)
    answer = client.post("/alerts/always_firing/mute", data={**form, "csrf_token": csrf})
    assert answer.status_code == 200, answer.text
    assert 'data-testid="notice"' in answer.text and "muted until" in answer.text
    (mute,) = alerts.get_rule(alert_site.workspace.project(), alert_site.workspace.store, "always_firing").mutes
    assert mute.by == "editor" and mute.why == "known: the warehouse move"  # who: the logged-in user
    assert (
        before + dt.timedelta(days=1) - dt.timedelta(seconds=5)
        <= mute.until
        <= before + dt.timedelta(days=1, minutes=1)
    )
    assert 'data-testid="mute-why">known: the warehouse move<' in answer.text

    until = client.post(
        "/alerts/never_firing/mute",
        data={"csrf_token": csrf, "why": "until a time", "for": "1 day", "until": "2999-01-01T00:00"},
    )
    assert until.status_code == 400 and "366 days" in until.text  # 'until' (UTC) wins over 'for'
    bad = client.post("/alerts/never_firing/mute", data={"csrf_token": csrf, "why": "x", "until": "soon"})
    assert bad.status_code == 400 and "until" in bad.text

    ended = client.post(f"/alerts/mutes/{mute.id}/end", data={"csrf_token": csrf})
    assert ended.status_code == 200, ended.text
    assert alerts.get_rule(alert_site.workspace.project(), alert_site.workspace.store, "always_firing").mutes == []

    viewer, viewer_csrf = _form_client(alert_site, "viewer")
    refused = viewer.post("/alerts/always_firing/mute", data={**form, "csrf_token": viewer_csrf})
    assert refused.status_code == 403 and "may not mute" in refused.text and "annotate" not in refused.text


def test_test_now_shows_what_the_rule_says(alert_site: Site) -> None:
    client, csrf = _form_client(alert_site, "viewer")
    answer = client.post("/alerts/always_firing/test", data={"csrf_token": csrf})
    assert answer.status_code == 200, answer.text
    section = answer.text.split('data-testid="test-result"')[1].split("</section>")[0]
    assert 'data-testid="series-row" data-rule="always_firing"' in section and 'data-state="firing"' in section
    assert client.post("/alerts/always_firing/test", data={"csrf_token": csrf, "send": "true"}).status_code == 403


def test_text_of_rules_and_mutes_is_escaped(alert_site: Site) -> None:
    script = "<script>alert(1)</script>"
    add_rules(alert_site.root, RULES.replace("label: Revenue under a quadrillion", f'label: "{script}"'))
    editor = alert_site.login("editor")
    why = '<img src=x onerror="alert(2)">'
    assert editor.post("/api/alerts/always_firing/mute", json={"for": "1 hour", "why": why}).status_code == 201
    html = editor.get("/alerts").text
    assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert why not in html and "&lt;img src=x onerror=" in html
    assert "<script" not in html.replace('<script src="/static/', "")  # no inline script at all (CSP)


def test_rules_made_in_the_page(alert_site: Site) -> None:
    client, csrf = _form_client(alert_site, "strategist")
    assert 'data-testid="new-rule-form"' in client.get("/alerts").text
    text = "name: from_the_page\nkind: threshold\nkpi: quarterly_revenue\nbelow: 5\nrenotify_every: 1 day\n"
    made = client.post("/alerts", data={"csrf_token": csrf, "definition": text}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/alerts"
    written = yaml.safe_load((alert_site.root / "models" / "app.yml").read_text(encoding="utf-8"))
    assert written["alerts"] == [
        {
            "name": "from_the_page",
            "kind": "threshold",
            "kpi": "quarterly_revenue",
            "below": 5,
            "renotify_every": "1 day",
        }
    ]
    assert "from_the_page" in load_project(alert_site.root).alerts
    page = client.get("/alerts").text
    assert 'action="/alerts/from_the_page/edit"' in page and 'action="/alerts/always_firing/edit"' not in page

    broken = "name: broken\nkind: threshold\nkpi: quartely_revenue\nbelow: 5\n"
    refused = client.post("/alerts", data={"csrf_token": csrf, "definition": broken})
    assert refused.status_code == 422
    assert 'data-testid="draft-error"' in refused.text and "quartely_revenue" in refused.text
    assert "kpi: quartely_revenue" in refused.text  # the draft is kept
    not_yaml = client.post("/alerts", data={"csrf_token": csrf, "definition": "- just\n- a list"})
    assert not_yaml.status_code == 422 and "mapping" in not_yaml.text
    renamed = client.post(
        "/alerts/from_the_page/edit", data={"csrf_token": csrf, "definition": text.replace("from_the_page", "other")}
    )
    assert renamed.status_code == 422 and "other" in renamed.text
    edited = client.post(
        "/alerts/from_the_page/edit",
        data={"csrf_token": csrf, "definition": text.replace("below: 5", "below: 6")},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert load_project(alert_site.root).alerts["from_the_page"].below == 6
    hand = client.post(
        "/alerts/always_firing/edit", data={"csrf_token": csrf, "definition": "kind: stale"}, follow_redirects=False
    )
    assert hand.status_code == 409 and "models/alerts.yml" in hand.text
    deleted = client.post("/alerts/from_the_page/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert deleted.status_code == 303 and "from_the_page" not in load_project(alert_site.root).alerts
    editor, editor_csrf = _form_client(alert_site, "editor")
    assert editor.post("/alerts", data={"csrf_token": editor_csrf, "definition": text}).status_code == 403


def test_the_kpi_page_shows_its_alerts(alert_site: Site) -> None:
    viewer = alert_site.login("viewer")
    page = viewer.get("/kpis/quarterly_revenue").text
    assert 'data-testid="kpi-alerts"' in page
    rows = dict(
        re.findall(r'data-testid="series-row" data-rule="([^"]+)" data-series="[^"]*" data-state="([^"]+)"', page)
    )
    assert rows == {"always_firing": "firing", "never_firing": "normal"}
    api = viewer.get("/api/kpis/quarterly_revenue/page").json()["alerts"]
    assert {(a["rule"], a["state"]) for a in api} == {("always_firing", "firing"), ("never_firing", "normal")}
    assert 'data-testid="kpi-alerts"' not in viewer.get("/kpis/on_time_delivery").text  # no rule watches it


def _badges(html: str) -> dict[str, str]:
    cards = re.findall(r'<a class="card[^>]*data-kpi="([^"]+)"(.*?)</a>', html, flags=re.S)
    found = {}
    for kpi, body in cards:
        badge = re.search(r'data-testid="alert-badge"[^>]*>([^<]+)<', body)
        if badge:
            found[kpi] = badge.group(1)
    return found


def test_the_scorecard_cards_show_firing_alerts_with_one_read(
    alert_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = alerts.firing_count_by_kpi

    def counted(project: object, store: object) -> dict[str, int]:
        calls.append(store)
        return real(project, store)  # type: ignore[arg-type]

    monkeypatch.setattr(overview.alerts, "firing_count_by_kpi", counted)
    viewer = alert_site.login("viewer")
    page = viewer.get("/").text
    assert _badges(page) == {"quarterly_revenue": "1 alert"}
    assert len(calls) == 1  # one read for the page, not one per card
    assert _badges(viewer.get("/tv").text) == {"quarterly_revenue": "1 alert"}

    # a rule that starts firing shows on the next request, though no KPI was evaluated again
    add_rules(alert_site.root, RULES.replace("above: 1000000000000000", "above: 0"))
    alerts.evaluate_alerts(alert_site.workspace.project(), alert_site.workspace.store)
    assert _badges(viewer.get("/").text) == {"quarterly_revenue": "2 alerts"}


def test_a_removed_rule_no_longer_counts_on_the_cards(alert_site: Site) -> None:
    """Regression: the states of a rule taken out of the definitions stay in the store, firing;
    the scorecard counted them ("1 alert" on a card whose KPI no rule watches any more)."""
    viewer = alert_site.login("viewer")
    assert _badges(viewer.get("/").text) == {"quarterly_revenue": "1 alert"}
    without = RULES.replace(RULES[RULES.index("  - name: always_firing") : RULES.index("  - name: never_firing")], "")
    add_rules(alert_site.root, without)
    assert "always_firing" not in alert_site.workspace.project().alerts
    assert _badges(viewer.get("/").text) == {}
    assert _badges(viewer.get("/tv").text) == {}
    # its states are still in the store, as the rule left them
    with alert_site.workspace.store.session(readonly=True) as s:
        assert {row.state for row in store_alerts.states(s, "always_firing")} == {"firing"}


def test_the_history_of_a_rule_the_project_lacks_is_404(alert_site: Site) -> None:
    """Regression: /alerts?rule=abc showed every rule's history under the asked filter, as if it applied;
    a removed rule's transitions stay listed, unlinked (its link would be that 404)."""
    viewer = alert_site.login("viewer")
    assert viewer.get("/alerts").text.count('href="/alerts?rule=always_firing"') >= 1
    missing = viewer.get("/alerts", params={"rule": "always_firng"})
    assert missing.status_code == 404
    assert "always_firng" in missing.text and "always_firing" in missing.text  # what was asked, did you mean
    assert 'data-testid="transition"' not in missing.text
    without = RULES.replace(RULES[RULES.index("  - name: always_firing") : RULES.index("  - name: never_firing")], "")
    add_rules(alert_site.root, without)
    page = viewer.get("/alerts")
    assert page.status_code == 200
    assert 'data-testid="transition" data-rule="always_firing"' in page.text  # its history is kept
    assert 'href="/alerts?rule=always_firing"' not in page.text
    assert viewer.get("/alerts", params={"rule": "always_firing"}).status_code == 404


def test_no_alert_rules_no_read(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(overview.alerts, "firing_count_by_kpi", lambda project, store: calls.append(store) or {})
    viewer = site.login("viewer")
    assert viewer.get("/").status_code == 200 and calls == []
    alerts_page = viewer.get("/alerts")
    assert alerts_page.status_code == 200 and "No alert rule yet" in alerts_page.text

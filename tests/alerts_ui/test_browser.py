"""The Alerts page in Chromium: an editor opens it from the menu, mutes a firing rule saying why,
sees the mute with their name, and ends it; no script error, nothing blocked by the CSP."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.alerts_ui.conftest import add_rules
from tests.site_fixtures import ARTIFACTS, PASSWORD, serving, settings_for

from onpace.catalog.project import load_project
from onpace.services import alerts
from onpace.store.db import Store


@pytest.fixture
def alert_server(tpch_site_template: Path, tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    add_rules(root)
    store = Store.open(settings_for(root).database_url or "")
    try:
        alerts.evaluate_alerts(load_project(root), store)
    finally:
        store.close()
    with serving(root) as base:
        yield base


def test_an_editor_mutes_a_firing_rule(browser: Any, alert_server: str) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{alert_server}/login")
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{alert_server}/")
    badge = page.locator("[data-testid=kpi-card][data-kpi=quarterly_revenue] [data-testid=alert-badge]")
    assert badge.inner_text() == "1 alert"
    assert page.locator("[data-testid=alert-badge]").count() == 1
    badge.screenshot(path=str(ARTIFACTS / "alerts-card-badge.png"))
    page.click("[data-testid=nav-alerts]")
    page.wait_for_url(f"{alert_server}/alerts")

    rule = page.locator("[data-testid=alert-rule][data-rule=always_firing]")
    assert rule.get_attribute("data-state") == "firing"
    assert rule.locator("summary [data-testid=rule-state]").inner_text() == "Firing"
    assert rule.get_attribute("open") is not None  # a firing rule is shown unfolded
    page.locator("[data-testid=alert-rule][data-rule=never_firing] summary").click()
    page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)

    form = rule.locator("[data-testid=mute-form]")
    form.locator("select[name=for]").select_option("4 hours")
    form.locator("[data-testid=mute-why-input]").fill("We know: the warehouse move <b>this week</b>")
    form.locator("[data-testid=mute-submit]").click()
    page.wait_for_selector("[data-testid=notice]")
    assert re.search(
        r"'always_firing' is muted until \d{4}-\d\d-\d\d \d\d:\d\d UTC", page.inner_text("[data-testid=notice]")
    )
    mute = page.locator("[data-testid=alert-rule][data-rule=always_firing] [data-testid=mute]")
    assert mute.count() == 1
    assert "by editor" in mute.inner_text()
    assert mute.locator("[data-testid=mute-why]").inner_text() == "We know: the warehouse move <b>this week</b>"
    assert page.locator("[data-testid=alert-rule][data-rule=always_firing] [data-testid=rule-muted]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "alerts-muted.png"), full_page=True)

    mute.locator("[data-testid=unmute]").click()
    page.wait_for_selector("[data-testid=notice] >> text=the mute is over")
    assert page.locator("[data-testid=alert-rule][data-rule=always_firing] [data-testid=mute]").count() == 0
    assert not problems, problems
    context.close()

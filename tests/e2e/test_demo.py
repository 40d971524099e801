"""`make demo`'s path in a real browser: `onpace demo` from nothing to the scorecard.

The command runs as `make demo` runs it (a separate process: generate, refresh, add the notes,
serve); the test then logs in with the demo login it prints and checks that the scorecard shows
every status and that a KPI page has its drivers, reviews, comments and annotations.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import ARTIFACTS, _free_port

STATUSES = {"on_track", "at_risk", "off_track", "achieved", "missed"}
STARTUP_S = 240


@pytest.fixture
def demo_site(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The base URL of `onpace demo` serving a new demo folder, and what the command printed."""
    port = _free_port()
    log = tmp_path / "demo.log"
    env = {**os.environ, "COLUMNS": "200", "ONPACE_ENVIRONMENT": "development"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "onpace", "demo", str(tmp_path / "demo"), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"onpace demo exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"onpace demo did not serve within {STARTUP_S} s:\n{log.read_text()}")
            time.sleep(0.5)
        yield base, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_make_demo_reaches_the_scorecard(browser: Any, demo_site: tuple[str, str]) -> None:
    base, printed = demo_site
    login = re.search(r"as (\S+) with the password (\S+)", printed)
    assert login, printed
    user, password = login.groups()

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("input[name=name]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    cards = page.locator("[data-testid=kpi-card]")
    assert cards.count() >= 15
    statuses = {cards.nth(i).get_attribute("data-status") for i in range(cards.count())}
    assert statuses >= STATUSES, f"the demo should show every status, it shows {sorted(statuses - {None})}"
    page.screenshot(path=str(ARTIFACTS / "demo-scorecard.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "demo-scorecard-top.png"))  # the README's picture

    # the KPI that is behind: its drivers, the team's review, comments and annotations
    page.click("[data-testid=kpi-card][data-kpi=quarterly_revenue]")
    page.wait_for_url(f"{base}/kpis/quarterly_revenue")
    page.wait_for_selector("#kpi-chart svg")
    assert page.locator("[data-testid=driver]").count() >= 3
    assert page.locator("[data-testid=review]").count() >= 1
    assert page.locator("[data-testid=comment]").count() >= 2
    assert page.locator("[data-testid=annotation] >> text=New checkout launched").count() == 1
    page.screenshot(path=str(ARTIFACTS / "demo-kpi.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "demo-kpi-top.png"))

    # a KPI whose period ended: missed, with its review
    page.goto(f"{base}/kpis/checkout_uptime_2025")
    assert "status-missed" in (page.locator("[data-testid=kpi-status]").get_attribute("class") or "")
    assert page.locator("[data-testid=review] >> text=March outage").count() == 1
    assert not errors, errors
    context.close()

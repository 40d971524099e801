"""The alerts' interfaces' site: the TPC-H test site with alert rules in ``models/alerts.yml``, evaluated once.

The rules are chosen so their state follows from the numbers alone, whatever the data:
``always_firing`` watches quarterly revenue's actual below 10^15 (a revenue of a 0.01-scale
TPC-H is far below it) and fires on its first evaluation; ``never_firing`` watches it above
10^15 and stays normal. ``returns_worse`` is a status rule on another KPI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.site_fixtures import Site

from onpace.services import alerts

RULES = """alerts:
  - name: always_firing
    label: Revenue under a quadrillion
    kind: threshold
    kpi: quarterly_revenue
    value: actual
    below: 1000000000000000
  - name: never_firing
    kind: threshold
    kpi: quarterly_revenue
    value: actual
    above: 1000000000000000
  - name: returns_worse
    kind: status
    kpi: returns_in_1998
    to: worse
"""
HAND_WRITTEN = Path("models") / "alerts.yml"


def add_rules(root: Path, text: str = RULES) -> None:
    (root / HAND_WRITTEN).write_text(text, encoding="utf-8")


@pytest.fixture
def alert_site(site: Site) -> Iterator[Site]:
    """The test site with the rules above, evaluated once (their transitions recorded)."""
    add_rules(site.root)
    project = site.workspace.project()
    assert set(project.alerts) == {"always_firing", "never_firing", "returns_worse"}
    run = alerts.evaluate_alerts(project, site.workspace.store)
    assert not run.errors, run.errors
    yield site

"""Issue 16's acceptance figures: the forecasts are right as often as they claim, on the demo and on TPC-H.

``onpace backtest`` replays every past period of each recurring KPI 25%, 50% and 75% through,
with the data up to that day only. On both examples the 80% interval must hold the final value
in 70% to 90% of the replays, and the probability of meeting the target must have a lower
(better) Brier score than the pace-only rule. docs/kpi-evaluation.md ("Backtest") shows the
table these runs give. The demo's level and rate KPIs are also checked as the issue saw them:
club members flat at about 4,848 are not forecast to grow 15% in six weeks, and no rate's band
passes 100%.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app
from onpace.examples.tpch_data import generate
from onpace.kpi.kind import bounds_of
from onpace.services.refresh import refresh
from onpace.store import evaluations
from onpace.store.db import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-backtest") / "fernhill"
    made = CliRunner().invoke(app, ["demo", str(root), "--no-serve"], env={"COLUMNS": "200"})
    assert made.exit_code == 0, made.output
    return root


@pytest.fixture(scope="module")
def tpch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generate(tmp_path_factory.mktemp("tpch-backtest") / "tpch", 0.01)
    store = Store.for_project(root).ensure_current()
    try:
        assert refresh(load_project(root), store).status == "succeeded"
    finally:
        store.close()
    return root


def _backtest(root: Path) -> dict[str, object]:
    done = CliRunner().invoke(app, ["backtest", "--project", str(root), "--format", "json"])
    assert done.exit_code == 0, done.output
    report: dict[str, object] = json.loads(done.output)
    return report


@pytest.mark.parametrize("example", ["demo_dir", "tpch_dir"])
def test_the_80_percent_interval_holds_70_to_90_percent_and_beats_pace_alone(
    example: str, request: pytest.FixtureRequest
) -> None:
    report = _backtest(request.getfixturevalue(example))
    overall = report["overall"]
    assert isinstance(overall, dict)
    assert overall["intervals"] >= 300, overall  # enough replays to judge
    assert 0.70 <= overall["coverage"] <= 0.90, overall
    assert overall["brier"] < overall["baseline_brier"], overall


def test_demo_forecasts_that_can_happen(demo_dir: Path) -> None:
    project = load_project(demo_dir)
    store = Store.for_project(demo_dir)
    try:
        with store.session(readonly=True) as s:
            latest = {(e.kpi, e.segment): e for e in evaluations.latest_evaluations(s)}
    finally:
        store.close()
    club = latest[("club_growth", "")]
    # members flat at about 4,848 since the summer: the quarter ends near where it is, not at +15%
    assert club.actual is not None and club.forecast is not None and club.forecast_high is not None
    assert abs(club.forecast - club.actual) / club.actual < 0.03
    assert club.target is not None and club.forecast_high < club.target and club.probability < 0.3
    for (name, _), e in latest.items():
        low, high = bounds_of(project, project.kpis[name])
        if high is not None and e.forecast_high is not None:
            assert e.forecast_high <= high, name
        if low is not None and e.forecast_low is not None:
            assert e.forecast_low >= low, name

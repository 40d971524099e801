"""A `between` target's band phased to date: in the evaluation, the status JSON and the API.

A flow KPI with a range target has both ends phased (docs/kpi-evaluation.md,
"Phasing"); it has no single expected value, so ``expected_to_date`` stays null
and the band is ``expected_low``..``expected_high``, beside ``target_low``..
``target_high`` (the full period). The numbers are worked out by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from onpace.cli.main import app
from onpace.kpi.evaluate import KpiInput, evaluate
from onpace.kpi.types import Status, Target

runner = CliRunner()


def test_the_evaluation_carries_the_phased_band() -> None:
    # April 2025 (30 days) as of April 15: linear share 15/30 = 0.5; band 240..360 -> 120..180
    e = evaluate(
        KpiInput(
            accumulation="flow",
            direction="higher",
            period_start=dt.date(2025, 4, 1),
            period_end=dt.date(2025, 4, 30),
            as_of=dt.date(2025, 4, 15),
            actual=150.0,
            history=(10.0,) * 15,
            target=Target.between(240.0, 360.0),
        )
    )
    assert (e.share, e.expected_to_date, e.expected_low, e.expected_high) == (0.5, None, 120.0, 180.0)
    assert (e.attainment, e.status) == (1.0, Status.on_track)


PROJECT = """
name: band
evaluation:
  as_of: latest_data
"""

MODELS = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: day, type: time}
    measures:
      - {name: revenue, agg: sum, expr: amount}
metrics:
  - {name: revenue, measure: revenue}
objectives:
  - {name: grow, owner: CEO}
kpis:
  - name: april_band
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: weekly
    target: {between: [240, 360]}
  - name: april_floor
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: weekly
    target: {at_least: 400}
"""


@pytest.fixture
def band_project(tmp_path: Path) -> Path:
    """Revenue 10 a day from 2025-04-01 to 2025-04-15 (150 so far in April)."""
    root = tmp_path / "band"
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "onpace.yml").write_text(
        textwrap.dedent(PROJECT) + "sources:\n  warehouse: {url: 'duckdb:///data/warehouse.duckdb'}\n",
        encoding="utf-8",
    )
    (root / "models" / "band.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    try:
        con.execute("CREATE TABLE sales (day DATE, amount DOUBLE)")
        con.executemany("INSERT INTO sales VALUES (?, 10.0)", [[dt.date(2025, 4, day)] for day in range(1, 16)])
    finally:
        con.close()
    return root


def test_status_json_and_api_show_the_phased_band(band_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    done = runner.invoke(app, ["refresh", "--project", str(band_project)])
    assert done.exit_code == 0, done.output

    shown = runner.invoke(app, ["status", "--project", str(band_project), "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = {row["kpi"]: row for row in json.loads(shown.output)}
    band = rows["april_band"]
    # as of 2025-04-15 (the last day with data): share 15/30 = 0.5, band 240..360 phased to 120..180;
    # actual 150 is inside: attainment 1.0, on track
    assert band["as_of"] == "2025-04-15"
    assert (band["target"], band["target_low"], band["target_high"]) == (None, 240.0, 360.0)
    assert (band["expected_to_date"], band["expected_low"], band["expected_high"]) == (None, 120.0, 180.0)
    assert (band["actual"], band["attainment"], band["status"]) == (150.0, 1.0, "on_track")
    # a single-valued target has no band: 400 * 0.5 = 200 expected, 150 / 200 = 0.75, off track
    floor = rows["april_floor"]
    assert (floor["expected_to_date"], floor["expected_low"], floor["expected_high"]) == (200.0, None, None)
    assert (floor["attainment"], floor["status"]) == (0.75, "off_track")

    table = runner.invoke(app, ["status", "--project", str(band_project)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "120–180" in table.output

    # the API's evaluation history (/api/kpis/{name}/evaluations) reads the same stored band
    from onpace.cli.common import project_and_store
    from onpace.services import kpi_history

    with project_and_store(band_project) as (_, store):
        history = [e.model_dump(mode="json") for e in kpi_history.evaluations(store, "april_band", "")]
    assert [(h["expected_to_date"], h["expected_low"], h["expected_high"]) for h in history] == [(None, 120.0, 180.0)]

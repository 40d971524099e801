"""`onpace status` describes a change target against a fixed baseline period, and says why one has no number.

The project is tests/services/fixed_baseline_project.py (DuckDB); its numbers, by hand, are in
tests/services/test_fixed_baseline.py: growth's target is 3,065 x 1.15 = 3,524.75 (shown 3,525)
"+15% vs 2024-Q4"; the popup segment's data misses October 2024, so it has no target.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from tests.services.fixed_baseline_project import create_sql, rows, write_project
from typer.testing import CliRunner

from onpace.cli.main import app

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    root = tmp_path / "fixed"
    root.mkdir()
    con = duckdb.connect(str(root / "data.duckdb"))
    try:
        con.execute(create_sql("duckdb", "h_base_cli"))
        con.executemany("INSERT INTO h_base_cli VALUES (?, ?, ?)", rows())
    finally:
        con.close()
    write_project(root, "duckdb:///data.duckdb", "h_base_cli")
    done = runner.invoke(app, ["refresh", "--project", str(root)])
    assert done.exit_code == 0, done.output
    return root


def test_status_says_what_a_change_target_is_relative_to(project: Path) -> None:
    table = runner.invoke(app, ["status", "--project", str(project)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    lines = [line.strip("│├└─ ") for line in table.output.splitlines()]
    assert "growth: target +15% vs 2024-Q4" in lines
    assert "avg_sale_growth: target +15% vs 2024-Q4" in lines
    assert "by_channel [store]: target -10% vs 2024-Q4" in lines
    assert "by_channel [popup]: target +15% vs 2024-Q4; no baseline: the data does not cover the whole of 2024-Q4" in (
        lines
    )
    assert "from_september: target +10% vs 2024-09; no baseline: the data does not cover the whole of 2024-09" in (
        lines
    )
    growth = next(line for line in lines if line.startswith("growth ") and "2025-Q2" in line)
    assert growth.split()[:4] == ["growth", "2025-Q2", "1,575", "3,525"]  # actual 45 x 35; target 3,524.75


def test_status_json_has_the_basis_and_the_reason(project: Path) -> None:
    shown = runner.invoke(app, ["status", "--project", str(project), "--format", "json"])
    assert shown.exit_code == 0, shown.output
    by_kpi = {(r["kpi"], r["segment"]): r for r in json.loads(shown.output)}
    growth = by_kpi[("growth", None)]
    assert (growth["target"], growth["target_basis"], growth["target_unavailable"]) == (
        pytest.approx(3524.75),
        "+15% vs 2024-Q4",
        None,
    )
    popup = by_kpi[("by_channel", "popup")]
    assert (popup["target"], popup["status"], popup["target_basis"]) == (None, "no_data", "+15% vs 2024-Q4")
    assert popup["target_unavailable"] == "no baseline: the data does not cover the whole of 2024-Q4"


def test_promote_takes_a_date_as_the_baseline(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from onpace.catalog import goals as g
    from onpace.catalog.project import load_project

    monkeypatch.setenv("ONPACE_USER", "carla")
    args = ["promote", "sales_count", "--objective", "grow", "--owner", "Sales", "--timeframe", "quarter"]
    done = runner.invoke(app, [*args, "--change", "+5%", "--vs", "2024-10-01", "--project", str(project)])
    assert done.exit_code == 0, done.output
    target = load_project(project).kpis["sales_count"].target
    assert target is not None and isinstance(target.vs, g.BaselinePeriod)
    assert target.vs.period == dt.date(2024, 10, 1)  # written as {period: 2024-10-01}
    bad = [*args, "--name", "n2", "--change", "+5%", "--vs", "2024-13-01", "--project", str(project)]
    wrong = runner.invoke(app, bad, env={"COLUMNS": "200"})
    assert wrong.exit_code != 0
    assert "KPI 'n2': invalid baseline period '2024-13-01' in 'vs'" in wrong.output

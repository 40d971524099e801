"""`onpace status --as-of` and `onpace refresh --as-of`, and what `status` says about each KPI.

The project is the TPC-H example of tests/site_fixtures.py, refreshed (``as_of: latest_data``: its
data ends in 1998-08). As of 1998-03-31 its quarterly revenue is judged on 1998-Q1, then over.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from onpace.cli.main import app

runner = CliRunner()


@pytest.fixture
def tpch(tpch_site_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    return root


def _rows(root: Path, *options: str) -> dict[tuple[str, str | None], Any]:
    result = runner.invoke(app, ["status", "--project", str(root), "--format", "json", *options])
    assert result.exit_code == 0, result.output
    return {(r["kpi"], r["segment"]): r for r in json.loads(result.output)}


def test_status_as_of_a_date(tpch: Path) -> None:
    now = _rows(tpch)[("quarterly_revenue", None)]
    assert now["period"] == "1998-Q3" and 0 < now["elapsed_share"] < 1
    then = _rows(tpch, "--as-of", "1998-03-31")[("quarterly_revenue", None)]
    assert (then["period"], then["as_of"], then["data_until"], then["elapsed_share"]) == (
        "1998-Q1",
        "1998-03-31",
        "1998-03-31",
        1.0,
    )
    assert then["status"] in ("achieved", "missed") and then["reason"].startswith("ended at ")
    # nothing was stored: the scorecard is today's again
    assert _rows(tpch)[("quarterly_revenue", None)]["period"] == "1998-Q3"


def test_the_table_says_until_when_the_data_runs_and_why(tpch: Path) -> None:
    result = runner.invoke(app, ["status", "--project", str(tpch)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = _rows(tpch)
    days = sorted({r["data_until"] for r in rows.values() if r["data_until"]})
    assert result.output.startswith(f"Data until {days[0]}")
    revenue = rows[("quarterly_revenue", None)]
    assert revenue["reason"] in result.output.replace("\n│   ", " ").replace("\n    ", " ")
    assert f"{revenue['elapsed_share']:.0%} of 1998-Q3" in result.output


def test_a_bad_date_is_refused_naming_the_option(tpch: Path) -> None:
    for value in ("1998-02-30", "soon", "2200-01-01"):
        result = runner.invoke(app, ["status", "--project", str(tpch), "--as-of", value])
        assert result.exit_code == 2 and "--as-of" in result.output, result.output
    result = runner.invoke(app, ["refresh", "--project", str(tpch), "--as-of", "1998/03/31"])
    assert result.exit_code == 2 and "--as-of" in result.output, result.output


def test_refresh_as_of_stores_the_scorecard_of_that_date(tpch: Path) -> None:
    result = runner.invoke(app, ["refresh", "--project", str(tpch), "--as-of", "1998-03-31"])
    assert result.exit_code == 0, result.output
    stored = _rows(tpch)[("quarterly_revenue", None)]
    assert (stored["period"], stored["as_of"]) == ("1998-Q1", "1998-03-31")
    periods = runner.invoke(app, ["status", "--project", str(tpch), "--format", "json", "--as-of", "1998-03-31"])
    assert json.loads(periods.output) == [
        {**row, "evaluated_at": json.loads(periods.output)[i]["evaluated_at"]}
        for i, row in enumerate(json.loads(runner.invoke(app, ["status", "-p", str(tpch), "-f", "json"]).output))
    ]
    # and back to the data's last day with the next refresh
    assert runner.invoke(app, ["refresh", "--project", str(tpch)]).exit_code == 0
    assert _rows(tpch)[("quarterly_revenue", None)]["period"] == "1998-Q3"

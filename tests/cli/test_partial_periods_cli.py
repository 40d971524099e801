"""`onpace query` shows the periods a range cuts (issue 14).

Table output: a ``*`` after each partial period and a footnote with the days read.
JSON: rows of partial periods carry ``"partial": true`` (other rows are unchanged).
CSV: the same columns as ever; the note goes to stderr. Values are checked against
hand-written SQL over the days inside the range.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from onpace.cli.main import app

runner = CliRunner()
ARGS = ["query", "orders", "--grain", "month", "--start", "2024-01-15", "--end", "2024-03-10"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli-partial") / "shop"
    result = runner.invoke(app, ["init", str(directory)])
    assert result.exit_code == 0, result.output
    return directory


def _expected(project: Path) -> list[tuple[str, int]]:
    con = duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.sql(
            "select strftime(date_trunc('month', order_date), '%Y-%m-%d'), count(*) from orders "
            "where order_date between date '2024-01-15' and date '2024-03-10' group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    return [(str(p), int(n)) for p, n in rows]


def test_json_flags_partial_rows(project: Path) -> None:
    result = runner.invoke(app, [*ARGS, "-f", "json", "-p", str(project)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["period"], r["orders"]) for r in rows] == _expected(project)
    assert rows[0] == {"period": "2024-01-01", "orders": rows[0]["orders"], "partial": True}
    assert list(rows[1]) == ["period", "orders"]  # February is whole: the row is as it always was
    assert rows[2]["partial"] is True
    assert result.stderr == ""


def test_table_marks_partial_periods_and_says_which_days_were_read(project: Path) -> None:
    result = runner.invoke(app, [*ARGS, "-p", str(project)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("2024-01-01 *" in line for line in lines)
    assert any("2024-03-01 *" in line for line in lines)
    assert not any("2024-02-01 *" in line for line in lines)
    assert "* partial periods 2024-01-01, 2024-03-01: only the days from 2024-01-15 to 2024-03-10 were read" in (
        result.stdout
    )


def test_csv_keeps_its_columns_and_notes_on_stderr(project: Path) -> None:
    result = runner.invoke(app, [*ARGS, "-f", "csv", "-p", str(project)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "period,orders"
    assert [tuple(line.split(",")) for line in lines[1:]] == [(p, str(n)) for p, n in _expected(project)]
    assert "partial periods 2024-01-01, 2024-03-01" in result.stderr


def test_whole_periods_have_no_marker(project: Path) -> None:
    args = ["query", "orders", "--grain", "month", "--start", "2024-01-01", "--end", "2024-02-29"]
    table = runner.invoke(app, [*args, "-p", str(project)])
    assert table.exit_code == 0, table.output
    assert "partial" not in table.stdout and " *" not in table.stdout
    rows = json.loads(runner.invoke(app, [*args, "-f", "json", "-p", str(project)]).stdout)
    assert all("partial" not in row for row in rows)

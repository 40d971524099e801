"""`onpace report list` and `onpace report render`, on the TPC-H example of tests/site_fixtures.py.

Its data ends on 1998-08-02: ``quarterly_revenue`` is judged on 1998-Q3 from its first day to
then, and as of 1998-03-31 on 1998-Q1, then over.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onpace.cli.main import app

runner = CliRunner()
REPORTS = """\
reports:
  - name: europe_weekly
    label: Europe weekly
    audience: {kpis: [quarterly_revenue]}
    schedule: {cron: "0 8 * * mon", timezone: Europe/Madrid}
    what_changed: false
    paper: letter
  - name: operations
    audience: {owner: Head of Operations}
    formats: [csv]
"""


@pytest.fixture
def tpch(tpch_site_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    (root / "models" / "reports.yml").write_text(REPORTS, encoding="utf-8")
    return root


def test_list_as_json(tpch: Path) -> None:
    result = runner.invoke(app, ["report", "list", "--format", "json", "--project", str(tpch)])
    assert result.exit_code == 0, result.output
    found = {r["name"]: r for r in json.loads(result.output)}
    assert list(found) == ["europe_weekly", "operations"]
    weekly = found["europe_weekly"]
    assert (weekly["title"], weekly["audience"], weekly["kpis"]) == (
        "Europe weekly",
        "KPIs quarterly_revenue",
        ["quarterly_revenue"],
    )
    assert (weekly["cron"], weekly["timezone"], weekly["paper"], weekly["formats"]) == (
        "0 8 * * mon",
        "Europe/Madrid",
        "letter",
        ["pdf", "csv"],
    )
    assert weekly["last_run"] is None
    # the KPIs the Head of Operations owns in goals.yml, in its order
    assert found["operations"]["kpis"] == ["on_time_delivery", "returns_in_1998"]
    table = runner.invoke(app, ["report", "list", "--project", str(tpch)])
    assert table.exit_code == 0 and "europe_weekly" in table.output and "never" in table.output


def test_render_writes_the_pdf_the_html_and_the_csv(tpch: Path, tmp_path: Path) -> None:
    pdf, html, numbers = tmp_path / "weekly.pdf", tmp_path / "weekly.html", tmp_path / "weekly.csv"
    result = runner.invoke(
        app,
        [
            "report",
            "render",
            "europe_weekly",
            "--pdf",
            str(pdf),
            "--html",
            str(html),
            "--csv",
            str(numbers),
            "-p",
            str(tpch),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "3 pages" in result.output and "as of 1998-08-02" in result.output  # cover, scorecard, the KPI
    assert pdf.read_bytes().startswith(b"%PDF-")
    page = html.read_text(encoding="utf-8")
    assert "Europe weekly" in page and "data:image/png;base64," in page and "<script" not in page
    [row] = list(csv.DictReader(io.StringIO(numbers.read_text(encoding="utf-8"))))
    assert (row["kpi"], row["period_start"], row["as_of"]) == ("quarterly_revenue", "1998-07-01", "1998-08-02")


def test_render_as_of_a_date(tpch: Path, tmp_path: Path) -> None:
    numbers = tmp_path / "march.csv"
    result = runner.invoke(
        app,
        ["report", "render", "europe_weekly", "--as-of", "1998-03-31", "--csv", str(numbers), "--project", str(tpch)],
    )
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(numbers.read_text(encoding="utf-8"))))
    assert (row["period_start"], row["period_end"], row["as_of"]) == ("1998-01-01", "1998-03-31", "1998-03-31")
    assert row["status"] in ("achieved", "missed")


def test_an_unknown_report_fails_with_a_suggestion(tpch: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "render", "europe_weekyl", "--pdf", str(tmp_path / "x.pdf"), "--project", str(tpch)]
    )
    assert result.exit_code == 1
    assert "no report named 'europe_weekyl'; did you mean 'europe_weekly'?" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_render_needs_a_file_to_write(tpch: Path) -> None:
    result = runner.invoke(app, ["report", "render", "europe_weekly", "--project", str(tpch)])
    assert result.exit_code == 2
    assert "--pdf" in result.output


def _flat(output: str) -> str:
    """The output without the error box's borders and line breaks (a long path wraps inside it)."""
    return re.sub(r"[│\s]+", " ", output)


def test_a_file_that_cannot_be_written_is_refused_before_rendering(tpch: Path, tmp_path: Path) -> None:
    """``--csv /nonexistent/dir/x.csv`` or ``--pdf <a folder>`` rendered the report (20 s on the demo),
    then ended in a traceback and lost it: refused at once now, naming the option; a write the system
    refuses afterwards (no permission) is a message too."""
    missing = runner.invoke(
        app, ["report", "render", "europe_weekly", "--csv", str(tmp_path / "no" / "x.csv"), "--project", str(tpch)]
    )
    assert missing.exit_code == 2 and "--csv" in missing.output and "does not exist" in _flat(missing.output)
    assert missing.exception is None or isinstance(missing.exception, SystemExit)
    folder = runner.invoke(app, ["report", "render", "europe_weekly", "--pdf", str(tmp_path), "--project", str(tpch)])
    assert folder.exit_code == 2 and "--pdf" in folder.output and "is a folder" in _flat(folder.output)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.csv").mkdir()  # a folder where the file goes: the write itself fails
    written = runner.invoke(
        app, ["report", "render", "europe_weekly", "--csv", str(locked / "x.csv" / "y.csv"), "--project", str(tpch)]
    )
    assert written.exit_code in (0, 1) and "Traceback" not in written.output

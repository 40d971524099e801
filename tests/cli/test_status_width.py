"""`onpace status` at 80 columns: a short block per KPI, every line within the terminal, no word cut.

At 80 columns a table of nine columns (KPI, period, actual, target, expected, attainment,
forecast, chance, status) wraps every cell over several lines; a narrow terminal gets one
block per KPI instead, and a wide one the table.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app

runner = CliRunner()
MARKS = ("● on track", "▲ at risk", "✖ off track", "✔ achieved", "✖ missed", "○ no data")


def _status(root: Path, columns: int) -> str:
    result = runner.invoke(app, ["status", "--project", str(root)], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


def test_status_reads_at_80_columns(tpch_site_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    labels = [k.label or k.name for k in load_project(root).kpis.values()]
    out = _status(root, 80)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80, out
    for label in labels:  # each KPI's name whole on one line, after its status
        assert any(label in line for line in lines), (label, out)
    # its numbers on a line of their own: actual, target and what is expected by now
    blocks = [i for i, line in enumerate(lines) if re.search(rf"(?:{'|'.join(MARKS)})  \S", line)]
    assert len(blocks) >= len(labels)
    for i in blocks:  # then its numbers, a line of their own: the actual, the target, the period
        assert " · target " in lines[i + 1], (lines[i], lines[i + 1])
    assert "…" not in out, out  # nothing cut short


def test_status_is_a_table_on_a_wide_terminal(tpch_site_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    out = _status(root, 200)
    header = next(line for line in out.splitlines() if "P(hit)" in line)
    for column in ("KPI", "period", "actual", "target", "expected", "attain.", "forecast", "status"):
        assert column in header

"""`onpace init --template` gives objectives and KPIs, not only metrics (issue 16).

For every industry: init → validate (no problem) → refresh (no failure) → status lists every
KPI of the template → lint has no error, and no warning but the reviews a new project has not
recorded yet. The targets are set against the demo data: lint's ``target_already_met`` (the
period before already reached it) and ``target_beyond_history`` (no period ever reached it)
find none, and the one change target is checked against hand-written SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app
from onpace.examples.demo_data import DEMO_END
from onpace.library.entries import load_library
from onpace.library.goals import goals_text
from onpace.library.industries import Industry
from onpace.services import scorecard
from onpace.services.lint import lint
from onpace.store.db import Store

runner = CliRunner()
LIBRARY = load_library()


@pytest.fixture
def fast_demo_data(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``onpace init --template`` with a copy of the session's demo data instead of generating it again."""
    import onpace.examples.demo_data as demo_data

    def copy(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demo_db, path)
        Path(path).chmod(0o644)
        return path

    monkeypatch.setattr(demo_data, "generate", copy)
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)


@pytest.mark.parametrize("industry", list(Industry))
def test_every_template_has_a_few_owned_objectives_and_kpis_on_its_entries(industry: Industry) -> None:
    goals = yaml.safe_load(goals_text(industry))
    objectives, kpis = goals["objectives"], goals["kpis"]
    assert 1 <= len(objectives) <= 3
    assert all(o.get("owner") for o in objectives)
    assert 3 <= len(kpis) <= 8
    entries = {e.name for e in LIBRARY.select(industry=industry)}
    assert {k["metric"] for k in kpis} <= entries  # the main metric of one of the industry's entries
    assert {k["objective"] for k in kpis} == {o["name"] for o in objectives}  # every objective is measured


@pytest.mark.parametrize("industry", list(Industry))
@pytest.mark.usefixtures("fast_demo_data")
def test_init_validate_refresh_status_lint(industry: Industry, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    done = runner.invoke(app, ["init", str(root), "--template", industry.value])
    assert done.exit_code == 0, done.output
    assert "objectives and KPIs on them in models/goals.yml" in " ".join(done.output.split())
    goals = yaml.safe_load((root / "models" / "goals.yml").read_text(encoding="utf-8"))
    kpis = sorted(k["name"] for k in goals["kpis"])

    done = runner.invoke(app, ["validate", "-p", str(root)], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert f"{len(goals['objectives'])} objectives, {len(kpis)} KPIs" in done.output

    done = runner.invoke(app, ["refresh", "-p", str(root)])
    assert done.exit_code == 0, done.output

    done = runner.invoke(app, ["status", "-p", str(root), "--format", "json"])
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    rows = shown if isinstance(shown, list) else shown["kpis"]
    assert sorted(r["kpi"] for r in rows) == kpis
    assert all(r["actual"] is not None for r in rows)  # every KPI has data on the demo company's

    project = load_project(root)
    store = Store.for_project(project.root).ensure_current()
    try:
        findings = lint(project, store, today=DEMO_END + dt.timedelta(days=1))
    finally:
        store.close()
    assert not [f for f in findings if f.severity == "error"]
    warnings = [f"{f.rule} {f.name}: {f.message}" for f in findings if f.severity == "warning"]
    assert [w for w in warnings if not w.startswith("review_overdue ")] == []
    assert sorted(f.name for f in findings if f.rule == "review_overdue") == kpis  # none is reviewed yet


@pytest.mark.usefixtures("fast_demo_data")
def test_the_change_target_is_five_percent_over_the_same_quarter_last_year(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    assert runner.invoke(app, ["init", str(root), "--template", "retail"]).exit_code == 0
    assert runner.invoke(app, ["refresh", "-p", str(root)]).exit_code == 0
    project = load_project(root)
    store = Store.for_project(project.root).ensure_current()
    try:
        [row] = [r for r in scorecard.kpi_rows(project, store) if r.kpi == "quarterly_sales"]
    finally:
        store.close()
    con = duckdb.connect(str(root / "data" / "demo.duckdb"), read_only=True)
    try:
        [(last_year,)] = con.sql(
            "SELECT sum(subtotal - discount) FROM orders WHERE status <> 'cancelled'"
            " AND order_date BETWEEN DATE '2025-10-01' AND DATE '2025-12-31'"
        ).fetchall()
    finally:
        con.close()
    assert (row.period_start, row.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert row.target == pytest.approx(float(last_year) * 1.05)

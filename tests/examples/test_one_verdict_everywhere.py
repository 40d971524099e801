"""Every KPI of the demo has one target, one baseline and one expected-to-date wherever it is shown or judged.

Issue 15: the rules that decide a verdict live in ``onpace.kpi`` and every
interface calls them. For each KPI instance of the demo company (its data
ends on 2026-11-18) this test reads what each place shows and requires them
to agree:

- ``onpace status --format json`` (the CLI);
- ``GET /api/kpis`` (the scorecard the web overview renders);
- ``GET /api/kpis/{name}/page`` (the view the KPI page renders) and the KPI
  page itself (``/kpis/{name}``, which must show that view's status);
- ``GET /api/kpis/{name}/chart``: its phased target path on the as-of day is
  the expected-to-date, so the chart and the status phase the target alike;
- lint (``services.lint.judged_targets``): the target "target already met"
  and "target beyond history" judge.

A change target's number is its baseline times (1 + change): the same number
and the same basis ("+20% vs same period last year") everywhere means the same
baseline. The numbers themselves are checked against hand-written SQL in
tests/examples/test_demo.py; here, only that no place re-derives them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app
from onpace.config import Settings
from onpace.kpi.instances import kpi_instances
from onpace.server import create_app
from onpace.services import auth, lint
from onpace.services.workspace import Workspace
from onpace.store.db import Store

NUMBERS = ("target", "target_low", "target_high", "expected_to_date", "expected_low", "expected_high")
TEXTS = ("target_basis", "target_unavailable", "period_start", "period_end", "as_of", "status")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("verdicts") / "fernhill"
    result = CliRunner().invoke(app, ["demo", str(root), "--no-serve"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def client(demo_dir: Path) -> Iterator[TestClient]:
    workspace = Workspace(demo_dir, Settings(database_url=None, environment="development"))
    with TestClient(create_app(workspace)) as client:
        answer = client.post("/api/login", json={"name": auth.DEMO_USER, "password": auth.DEMO_PASSWORD})
        assert answer.status_code == 200, answer.text
        yield client


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def key(row: dict[str, Any]) -> tuple[str, str]:
    return row["kpi"], row["segment"] or ""


def test_status_scorecard_kpi_page_chart_and_lint_agree(demo_dir: Path, client: TestClient) -> None:
    status = CliRunner().invoke(app, ["status", "--format", "json", "--project", str(demo_dir)])
    assert status.exit_code == 0, status.output
    cli_rows = {key(r): r for r in json.loads(status.stdout)}
    answer = client.get("/api/kpis")
    assert answer.status_code == 200, answer.text
    api_rows = {key(r): r for r in answer.json()}

    project = load_project(demo_dir)
    instances = [(i.kpi.name, i.key) for i in kpi_instances(project)]
    assert len(instances) >= 15
    assert set(cli_rows) == set(api_rows) == set(instances)
    store = Store.for_project(demo_dir)
    try:
        judged = lint.judged_targets(project, store)
    finally:
        store.close()

    kinds = set()
    for name, segment in instances:
        row = cli_rows[(name, segment)]
        kinds.add("change" if row["target_basis"] else "fixed")
        for field in (*NUMBERS, *TEXTS):
            assert same(api_rows[(name, segment)][field], row[field]), (name, segment, field)

        page = client.get(f"/api/kpis/{name}/page", params={"segment": segment})
        assert page.status_code == 200, page.text
        shown = page.json()["row"]
        for field in (*NUMBERS, *TEXTS):
            assert same(shown[field], row[field]), (name, segment, field, "KPI page")
        html = client.get(f"/kpis/{name}", params={"segment": segment} if segment else None)
        assert html.status_code == 200
        assert row["status"].replace("_", " ") in html.text.lower(), (name, segment)

        chart = client.get(f"/api/kpis/{name}/chart", params={"segment": segment}).json()
        if row["as_of"] in chart["days"]:
            day = chart["days"].index(row["as_of"])
            for path, expected in (
                ("target", "expected_to_date"),
                ("target_low", "expected_low"),
                ("target_high", "expected_high"),
            ):
                assert same(chart[path][day], row[expected]), (name, segment, path, "chart")

        target = judged[(name, segment)]
        lint_numbers = (
            (target.target.value, target.target.low, target.target.high) if target.target else (None, None, None)
        )
        band = row["target_low"] is not None
        shown_numbers = (None if band else row["target"], row["target_low"], row["target_high"])
        assert all(same(a, b) for a, b in zip(lint_numbers, shown_numbers, strict=True)), (
            name,
            segment,
            lint_numbers,
            shown_numbers,
        )
        assert target.basis == row["target_basis"], (name, segment)
        assert target.unavailable == row["target_unavailable"], (name, segment)
    # the demo has change targets (a baseline) and fixed ones, so both paths were compared
    assert kinds == {"change", "fixed"}

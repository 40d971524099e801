"""The API's KPI rows and evaluations carry a change target against a fixed baseline period, in words.

The project is tests/services/fixed_baseline_project.py (DuckDB); its numbers, by hand, are in
tests/services/test_fixed_baseline.py: growth's target is 3,065 x 1.15 = 3,524.75, "+15% vs 2024-Q4";
the web segment's is 920 x 1.05 = 966; the popup's data misses October 2024: no target.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from tests.services.fixed_baseline_project import create_sql, rows, write_project
from tests.site_fixtures import PASSWORD, settings_for

from onpace.catalog.project import load_project
from onpace.server import create_app
from onpace.services import auth
from onpace.services.refresh import refresh
from onpace.services.workspace import Workspace
from onpace.store.db import Store


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "fixed"
    root.mkdir()
    con = duckdb.connect(str(root / "data.duckdb"))
    try:
        con.execute(create_sql("duckdb", "h_base_api"))
        con.executemany("INSERT INTO h_base_api VALUES (?, ?, ?)", rows())
    finally:
        con.close()
    write_project(root, "duckdb:///data.duckdb", "h_base_api")
    (root / ".onpace").mkdir()
    store = Store.open(settings_for(root).database_url or "")
    try:
        assert refresh(load_project(root), store, requested_by="test").status == "succeeded"
        auth.add_user(store, "viewer", PASSWORD, "viewer", actor="test")
    finally:
        store.close()
    with TestClient(create_app(Workspace(root, settings_for(root)))) as client:
        answer = client.post("/api/login", json={"name": "viewer", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        yield client


def test_the_kpi_rows_describe_the_target(client: TestClient) -> None:
    answer = client.get("/api/kpis")
    assert answer.status_code == 200, answer.text
    by_kpi = {(r["kpi"], r["segment"]): r for r in answer.json()}
    growth = by_kpi[("growth", None)]
    assert growth["target"] == pytest.approx(3524.75)
    assert (growth["target_basis"], growth["target_unavailable"]) == ("+15% vs 2024-Q4", None)
    web = by_kpi[("by_channel", "web")]
    assert (web["target"], web["target_basis"]) == (pytest.approx(966.0), "+5% vs 2024-Q4")
    popup = by_kpi[("by_channel", "popup")]
    assert (popup["target"], popup["status"], popup["target_basis"]) == (None, "no_data", "+15% vs 2024-Q4")
    assert popup["target_unavailable"] == "no baseline: the data does not cover the whole of 2024-Q4"


def test_the_definition_and_the_evaluations_carry_the_baseline(client: TestClient) -> None:
    kpi = client.get("/api/kpis/growth").json()
    assert kpi["definition"]["target"] == {"change": 0.15, "vs": {"period": "2024-10-01"}}
    history = client.get("/api/kpis/by_channel/evaluations", params={"segment": "popup"}).json()
    assert [(e["target"], e["target_basis"], e["target_unavailable"]) for e in history] == [
        (None, "+15% vs 2024-Q4", "no baseline: the data does not cover the whole of 2024-Q4")
    ]


def test_the_kpi_page_shows_the_basis(client: TestClient) -> None:
    page = client.get("/kpis/by_channel", params={"segment": "popup"})
    assert page.status_code == 200
    assert '<small data-testid="target-basis">+15% vs 2024-Q4</small>' in page.text
    assert "no baseline: the data does not cover the whole of 2024-Q4" in page.text
    board = client.get("/")
    assert board.status_code == 200
    assert '<span data-testid="target-basis">(+15% vs 2024-Q4)</span>' in board.text

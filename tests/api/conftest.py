"""An onpace site for API and page tests: the TPC-H example (scale 0.01), refreshed, with one user per role.

The example is generated and refreshed once per test session; each test gets its own copy (data,
definitions and store), so tests that write never see each other's changes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from onpace.catalog.project import load_project
from onpace.config import Settings
from onpace.examples.tpch_data import generate
from onpace.server import create_app
from onpace.services import auth
from onpace.services.refresh import refresh
from onpace.services.workspace import Workspace
from onpace.store.db import Store

SCALE = 0.01
PASSWORD = "a long enough password"
ROLES = ("admin", "strategist", "editor", "viewer")
# values no system holds: one metric of the editor's department, one of another
MANUAL = """metrics:
  - name: field_visits
    type: manual
    grain: day
    department: Sales
  - name: ad_spend
    type: manual
    grain: month
    department: Marketing
"""


def settings_for(root: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{(root / '.onpace' / 'store.db').as_posix()}", environment="development")


@pytest.fixture(scope="session")
def tpch_site_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generate(tmp_path_factory.mktemp("site") / "tpch", SCALE)
    (root / "models" / "manual.yml").write_text(MANUAL, encoding="utf-8")
    (root / ".onpace").mkdir(exist_ok=True)
    store = Store.open(settings_for(root).database_url or "")
    try:
        result = refresh(load_project(root), store, requested_by="test")
        assert result.status == "succeeded", result.errors
        for role in ROLES:
            auth.add_user(store, role, PASSWORD, role, actor="test", department="Sales" if role == "editor" else None)
    finally:
        store.close()
    return root


@dataclass
class Site:
    root: Path
    workspace: Workspace
    client: TestClient  # not logged in

    def login(self, name: str, password: str = PASSWORD) -> TestClient:
        """A client logged in as ``name`` whose writes carry the session's CSRF token."""
        client = TestClient(self.client.app)
        answer = client.post("/api/login", json={"name": name, "password": password})
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client


@pytest.fixture
def site(tpch_site_template: Path, tmp_path: Path) -> Iterator[Site]:
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    workspace = Workspace(root, settings_for(root))
    app = create_app(workspace)
    with TestClient(app) as client:
        yield Site(root, workspace, client)

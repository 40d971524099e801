"""The test site and the browser, as fixtures every test directory shares (a pytest plugin).

Registered once, in tests/conftest.py (``pytest_plugins``), so a session-scoped fixture is made
once per run wherever it is used: import the helpers (``Site``, ``PASSWORD``, ``settings_for``...)
from here, never the fixtures themselves (importing a fixture into a module registers a second
copy of it, made again for that module).

- ``tpch_site_template``: the TPC-H example (scale 0.01), refreshed, with one user per role;
  ``site``: a fresh copy of it served in-process through a TestClient.
- ``live_site``: a fresh copy served by a real uvicorn on a free loopback port.
- ``browser``: Debian's Chromium driven by Playwright, found at $ONPACE_CHROMIUM, else
  /usr/bin/chromium (``make test`` installs it); Playwright never downloads a browser. Under CI
  a missing browser fails the tests instead of skipping them. Screenshots go to test-artifacts/e2e/.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from tests.conftest import require_or_skip

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


ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(root: Path, settings: Settings | None = None, **options: Any) -> Iterator[str]:
    """An onpace server (uvicorn on a free loopback port, in a thread) for the site at ``root``."""
    workspace = Workspace(root, settings or settings_for(root))
    with serving_app(create_app(workspace), **options) as base:
        yield base


@contextmanager
def serving_app(app: Any, **options: Any) -> Iterator[str]:
    """The base URL of ``app`` served by uvicorn on a free loopback port, in a thread (``options``: uvicorn's)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the onpace server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def new_pg_database(pg_url: str, prefix: str = "onpace_test") -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty PostgreSQL database on ``pg_url``'s server; dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    from onpace.config import sqlalchemy_url

    database = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE template0')
    try:
        yield make_url(sqlalchemy_url(pg_url)).set(database=database).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def live_site(tpch_site_template: Path, tmp_path: Path) -> Iterator[str]:
    """The base URL of a server for a fresh copy of the test site."""
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    with serving(root) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = os.environ.get("ONPACE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        require_or_skip(f"no Chromium at {executable} (apt-get install -y chromium, or set ONPACE_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()

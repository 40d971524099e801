"""Production: the published demo login never works, and `onpace serve` refuses a store or folder of the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import PASSWORD, settings_for
from tests.e2e.conftest import _free_port
from tests.security.test_login_limits import copy_site, onpace_serve

from onpace.config import Settings
from onpace.errors import UserError
from onpace.examples import demo
from onpace.server import create_app
from onpace.services import auth
from onpace.services.workspace import Workspace
from onpace.store.db import Store


def _with_demo_login(root: Path) -> None:
    store = Store.open(settings_for(root).database_url or "")
    try:
        auth.add_user(store, demo.DEMO_USER, demo.DEMO_PASSWORD, "admin", actor="onpace demo")
    finally:
        store.close()


def _serve_in_production(root: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ONPACE_")}
    environment |= {"ONPACE_DATABASE_URL": settings_for(root).database_url or "", "ONPACE_ENVIRONMENT": "production"}
    command = [sys.executable, "-m", "onpace", "serve", "--project", str(root), "--port", str(_free_port())]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)


def test_serve_refuses_a_store_with_the_demo_login_in_production(tpch_site_template: Path, tmp_path: Path) -> None:
    root = copy_site(tpch_site_template, tmp_path)
    _with_demo_login(root)
    done = _serve_in_production(root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refusing to serve in production" in done.stderr and "demo login 'demo'" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_serve_refuses_a_demo_folder_in_production(tpch_site_template: Path, tmp_path: Path) -> None:
    root = copy_site(tpch_site_template, tmp_path)
    (root / demo.MARKER).write_text(demo.MARKER_TEXT + "\n", encoding="utf-8")
    done = _serve_in_production(root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "made by 'onpace demo'" in done.stderr and "Traceback" not in done.stderr


def test_serve_starts_in_production_once_the_demo_login_is_gone(tpch_site_template: Path, tmp_path: Path) -> None:
    root = copy_site(tpch_site_template, tmp_path)
    _with_demo_login(root)
    store = Store.open(settings_for(root).database_url or "")
    try:
        auth.set_password(store, demo.DEMO_USER, "a password nobody published", actor="test")
    finally:
        store.close()
    with onpace_serve(root, ONPACE_ENVIRONMENT="production") as base:
        assert httpx.get(f"{base}/api/health", timeout=10).json()["status"] == "ok"


@pytest.mark.parametrize("environment", ["production", "development"])
def test_the_demo_login_is_refused_in_production(environment: str, tpch_site_template: Path, tmp_path: Path) -> None:
    root = copy_site(tpch_site_template, tmp_path)
    _with_demo_login(root)  # as if the store of a demo were served
    settings = Settings(database_url=settings_for(root).database_url, environment=environment)  # type: ignore[arg-type]
    app = create_app(Workspace(root, settings))
    if environment == "production":  # the app refuses to start on it (for uvicorn started by hand) ...
        with pytest.raises(UserError, match="demo login 'demo' with its published password"), TestClient(app):
            pass
        app = create_app(Workspace(root, settings))
    # ... and were the start-up check skipped (no lifespan here), the login itself is refused
    client = TestClient(app)
    answer = client.post("/api/login", json={"name": demo.DEMO_USER, "password": demo.DEMO_PASSWORD})
    page = client.post(
        "/login", data={"name": demo.DEMO_USER, "password": demo.DEMO_PASSWORD, "next": "/"}, follow_redirects=False
    )
    other = client.post("/api/login", json={"name": "admin", "password": PASSWORD})
    assert other.status_code == 200
    if environment == "production":
        assert answer.status_code == 401 and "refused in production" in answer.json()["detail"]
        assert page.status_code == 401 and "refused in production" in page.text
        assert "set-cookie" not in answer.headers
    else:
        assert answer.status_code == 200 and answer.json()["role"] == "admin"
        assert page.status_code == 303


def test_the_docs_promise_no_secret_that_does_not_exist() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "default or missing secret" not in doc
    assert "`ONPACE_TRUSTED_PROXIES`" in doc and "## Production" in doc

"""Health and a busy or failing store: reads never wait for writers, store failures answer 503, health tells."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import PASSWORD, Site, settings_for
from tests.e2e.conftest import _free_port
from tests.security.test_login_limits import copy_site, live_server, pg_settings

from onpace.server import create_app
from onpace.services import auth
from onpace.services.workspace import Workspace
from onpace.store.db import Store


# -- item 7: a token request during a long write --------------------------------------------------------------
def test_a_token_request_does_not_wait_for_a_long_write(tpch_site_template: Path, tmp_path: Path) -> None:
    root = copy_site(tpch_site_template, tmp_path)
    settings = settings_for(root)
    with live_server(root, settings) as (base, workspace):
        token = auth.create_token(workspace.store, "viewer", "script", actor="test").token  # never used yet
        writer = sqlite3.connect(root / ".onpace" / "store.db", isolation_level=None, timeout=30)
        try:
            writer.execute("BEGIN IMMEDIATE")  # a push or a refresh holding the write lock
            writer.execute("UPDATE users SET department = department")
            started = time.monotonic()
            answer = httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=60)
            took = time.monotonic() - started
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert answer.status_code == 200 and answer.json()["name"] == "viewer", answer.text
        assert took < 3, f"GET /api/me waited {took:.1f} s for the writer"
        # with the store free again, the token's use is noted
        assert httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        with workspace.store.session(readonly=True) as s:
            from onpace.store import users

            listed = users.list_tokens(s)
        assert [t.last_used_at is not None for t, _ in listed if t.name == "script"] == [True]


@pytest.mark.postgres
def test_a_failing_store_answers_503_in_the_gate(pg_url: str, tpch_site_template: Path, tmp_path: Path) -> None:
    root = copy_site(tpch_site_template, tmp_path)
    with pg_settings(pg_url) as settings:
        workspace = Workspace(root, settings)
        token = auth.create_token(workspace.store, "viewer", "script", actor="test").token
        with TestClient(create_app(workspace)) as client:
            assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            session = client.post("/api/login", json={"name": "viewer", "password": PASSWORD})
            assert session.status_code == 200
            database = workspace.store.engine.url.database
            workspace.store.close()
            with psycopg.connect(pg_url, autocommit=True) as conn:  # the database goes away
                conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
            api = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            page = client.get("/")  # the session cookie
        assert api.status_code == 503 and "the store cannot be reached" in api.json()["detail"], api.text
        assert "onpace_sec_" not in api.text and "5432" not in api.text  # no URL, host or database name
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]
        assert "the store cannot be reached" in page.text and "onpace_sec_" not in page.text


# -- item 16: health reports broken definitions --------------------------------------------------------------
def test_health_reports_broken_definitions_without_their_content(site: Site) -> None:
    healthy = site.client.get("/api/health").json()
    assert healthy["status"] == "ok" and healthy["definitions"] == {"status": "ok", "problems": 0}
    site.login("viewer").get("/api/kpis")  # the project is loaded
    model = next((site.root / "models").glob("*.yml"))
    secret = "SECRET_COLUMN_NAME_42"
    model.write_text(model.read_text(encoding="utf-8") + f"\n  - {secret}: [unclosed\n", encoding="utf-8")
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    answer = site.client.get("/api/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "degraded"
    assert body["definitions"]["status"] == "error" and body["definitions"]["problems"] >= 1
    assert secret not in answer.text and model.name not in answer.text
    assert site.login("viewer").get("/api/kpis").status_code == 422  # what health warned about


def test_serve_refuses_a_read_only_store_with_a_message(tpch_site_template: Path, tmp_path: Path) -> None:
    root = copy_site(tpch_site_template, tmp_path)
    Store.open(settings_for(root).database_url or "").close()  # migrated: only writing fails
    url = f"sqlite:///file:{(root / '.onpace' / 'store.db').as_posix()}?mode=ro&uri=true"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ONPACE_")}
    environment["ONPACE_DATABASE_URL"] = url
    command = [sys.executable, "-m", "onpace", "serve", "--project", str(root), "--port", str(_free_port())]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "cannot be written" in done.stderr and "readonly" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr

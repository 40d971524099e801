"""The job history and the next ticks in the API, on the Health page and in `onpace runs list`;
the scheduler running inside the web app (its lifespan)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from onpace.cli.main import app as cli
from onpace.config import Settings
from onpace.server import create_app
from onpace.services import auth
from onpace.services.workspace import Workspace

from .conftest import tiny_project

PASSWORD = "a long enough password"


def test_the_app_runs_the_scheduler_and_shows_its_jobs(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", "schedule:\n  lease_seconds: 6\n  jobs:\n    heartbeat: {every: 1 second}\n")
    url = f"sqlite:///{(tmp_path / 'store.db').as_posix()}"
    ws = Workspace(root, Settings(database_url=url, environment="development"))
    auth.add_user(ws.store, "viewer", PASSWORD, "viewer", actor="test")
    with TestClient(create_app(ws, scheduler=True)) as client:
        assert client.post("/api/login", json={"name": "viewer", "password": PASSWORD}).status_code == 200
        deadline = time.monotonic() + 15
        jobs: list[dict[str, object]] = []
        while time.monotonic() < deadline and len(jobs) < 3:
            time.sleep(0.3)
            jobs = client.get("/api/jobs").json()
        assert len(jobs) >= 3
        assert {j["job"] for j in jobs} == {"heartbeat"}
        assert all(j["status"] in ("succeeded", "running") for j in jobs)
        scheduled = client.get("/api/jobs/scheduled").json()
        assert [(j["job"], j["timing"], j["origin"]) for j in scheduled] == [
            ("heartbeat", "every 1 s", "schedule.jobs.heartbeat")
        ]
        assert scheduled[0]["next_at"] > jobs[0]["scheduled_at"]
        assert client.get("/api/runs").status_code == 200  # unchanged: refresh runs
        page = client.get("/health").text
        assert 'data-testid="scheduled-job"' in page and "schedule.jobs.heartbeat" in page
        assert page.count('data-testid="job-run"') >= 2
        assert TestClient(client.app).get("/api/jobs").status_code == 401  # login required
    result = CliRunner().invoke(
        cli, ["runs", "list", "--format", "json", "--limit", "3", "-p", str(root)], env={"ONPACE_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert len(listed["jobs"]) == 3 and listed["refresh_runs"] == []
    assert [j["job"] for j in listed["jobs"]] == ["heartbeat"] * 3
    ticks = [j["scheduled_at"] for j in listed["jobs"]]
    assert ticks == sorted(ticks, reverse=True)
    table = CliRunner().invoke(
        cli, ["runs", "list", "-p", str(root)], env={"ONPACE_DATABASE_URL": url, "COLUMNS": "200"}
    )
    assert table.exit_code == 0 and "heartbeat" in table.output


def test_an_app_given_a_workspace_runs_no_scheduler_by_default(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", "schedule:\n  jobs:\n    heartbeat: {every: 1 second}\n")
    ws = Workspace(root, Settings(database_url=f"sqlite:///{(tmp_path / 'store.db').as_posix()}"))
    app = create_app(ws)
    with TestClient(app):
        assert app.state.scheduler is None

"""Definition files written by many requests at once lose nothing (issue 13, item 2).

Two real ``onpace serve`` processes on one project (so the lock must hold across
processes as well as threads) receive at once: objectives and KPIs created in the
app (``models/app.yml``), promotions (``models/promoted.yml``) and demotions (the
file that defines the KPI). Every answer is a success, every success is in the
files afterwards, KPIs made before survive, no request saw a half-written file,
and the audit log records exactly what landed. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select
from tests.api import conftest as site_fixtures
from tests.site_fixtures import new_pg_database

from onpace.catalog.project import Project, load_project
from onpace.errors import ConflictError, DefinitionError
from onpace.services import app_definitions, auth
from onpace.store import audit as audit_module
from onpace.store.db import Store
from onpace.store.models import AuditEntry

APP_FILE = Path("models") / "app.yml"
WRITES = {"objective.create", "kpi.create", "kpi.promote", "kpi.demote"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    root: Path
    url: str  # the store's
    token: str  # a strategist's API token
    servers: list[str]  # base URLs of the server processes


def _start(root: Path, store_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "ONPACE_DATABASE_URL": store_url, "ONPACE_ENVIRONMENT": "development"}
    env.pop("ONPACE_PROJECT", None)
    command = [sys.executable, "-m", "onpace", "serve", "--project", str(root), "--port", str(port)]
    with log.open("wb") as out:  # a file, not a pipe: a pipe nobody reads would block the server when full
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def _wait_until_up(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"onpace serve exited: {log.read_text(errors='replace')}")
        try:
            httpx.get(f"{base}/api/health", timeout=2)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"onpace serve did not start on {base}") from None
            time.sleep(0.2)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tpch_site_template: Path, tmp_path: Path) -> Iterator[Served]:
    """Two ``onpace serve`` processes on one copy of the TPC-H site, its store on SQLite or PostgreSQL."""
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{(root / '.onpace' / 'store.db').as_posix()}"
        else:
            url = stack.enter_context(new_pg_database(request.getfixturevalue("pg_url"), "onpace_writes"))
        store = Store.open(url)
        try:
            if request.param != "sqlite":
                auth.add_user(store, "strategist", site_fixtures.PASSWORD, "strategist", actor="test")
            token = auth.create_token(store, "strategist", "writes", actor="test").token
        finally:
            store.close()
        logs = [tmp_path / "server-1.log", tmp_path / "server-2.log"]
        started = [_start(root, url, log) for log in logs]
        try:
            for (process, base), log in zip(started, logs, strict=True):
                _wait_until_up(process, base, log)
            yield Served(root, url, token, [base for _, base in started])
        finally:
            for process, _ in started:
                process.terminate()
            for process, _ in started:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _kpi(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "metric": "orders",
        "objective": "grow_sales",
        "owner": "CFO",
        "timeframe": "quarter",
        "review_cadence": "monthly",
        "target": {"at_least": 100},
    }


def _promotion(kpi: str) -> dict[str, Any]:
    return {
        "name": kpi,
        "objective": "grow_sales",
        "owner": "COO",
        "timeframe": "quarter",
        "target": {"at_least": 1},
        "reason": "concurrency test",
    }


def _at_once(requests: list[tuple[str, str, dict[str, Any]]], token: str) -> list[httpx.Response]:
    """Send every (base, path, body) POST at the same moment, each from its own thread; the answers, in order."""
    answers: list[httpx.Response | BaseException | None] = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def send(i: int, base: str, path: str, body: dict[str, Any]) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            barrier.wait()
            try:
                answers[i] = client.post(path, json=body)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                answers[i] = exc

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    failed = [a for a in answers if not isinstance(a, httpx.Response)]
    assert not failed, failed
    return [a for a in answers if isinstance(a, httpx.Response)]


def _audited(url: str) -> list[tuple[str, str]]:
    store = Store(url)
    try:
        with store.session(readonly=True) as s:
            rows = s.execute(select(AuditEntry.action, AuditEntry.object_name).order_by(AuditEntry.id)).all()
    finally:
        store.close()
    return [(action, name) for action, name in rows if action in WRITES]


def test_concurrent_definition_writes_on_two_servers_lose_nothing(served: Served) -> None:
    first, second = served.servers
    # KPIs made before the rush, one by one: they must survive it
    with httpx.Client(base_url=first, headers={"Authorization": f"Bearer {served.token}"}, timeout=60) as client:
        for i in range(3):
            made = client.post("/api/kpis", json=_kpi(f"earlier_{i}"))
            assert made.status_code == 201, made.text
    audited_before = _audited(served.url)

    objectives = [f"objective_{i:02d}" for i in range(16)]
    kpis = [f"kpi_{i:02d}" for i in range(8)]
    promoted = {"line_items": "promoted_line_items", "revenue_mtd": "promoted_revenue_mtd"}
    demoted = ["order_value_band", "on_time_delivery"]  # defined in models/goals.yml
    requests: list[tuple[str, dict[str, Any]]] = [
        *(("/api/objectives", {"name": n, "label": n, "owner": "CEO"}) for n in objectives),
        *(("/api/kpis", _kpi(n)) for n in kpis),
        *((f"/api/metrics/{m}/promote", _promotion(k)) for m, k in promoted.items()),
        *((f"/api/kpis/{k}/demote", {"reason": "concurrency test"}) for k in demoted),
    ]
    spread = [((first, second)[i % 2], path, body) for i, (path, body) in enumerate(requests)]

    answers = _at_once(spread, served.token)

    problems = [
        f"{path}: {a.status_code} {a.text[:300]}"
        for (_, path, _), a in zip(spread, answers, strict=True)
        if a.status_code >= 300 or "YAML" in a.text
    ]
    assert not problems, "\n".join(problems)
    project = load_project(served.root)
    assert set(objectives) <= set(project.objectives)
    assert {*kpis, *promoted.values(), "earlier_0", "earlier_1", "earlier_2"} <= set(project.kpis)
    assert not set(demoted) & set(project.kpis)
    assert {"avg_order_value", "on_time_delivery_rate"} <= set(project.metrics)  # a demoted KPI's metric stays
    app_yml = yaml.safe_load((served.root / APP_FILE).read_text(encoding="utf-8"))
    assert sorted(o["name"] for o in app_yml["objectives"]) == objectives
    assert sorted(k["name"] for k in app_yml["kpis"]) == ["earlier_0", "earlier_1", "earlier_2", *kpis]

    audited = _audited(served.url)[len(audited_before) :]
    landed = (
        [("objective.create", n) for n in objectives]
        + [("kpi.create", n) for n in kpis]
        + [("kpi.promote", n) for n in promoted.values()]
        + [("kpi.demote", n) for n in demoted]
    )
    assert sorted(audited) == sorted(landed)  # each once, and nothing that did not land
    leftovers = [p.name for p in (served.root / "models").iterdir() if p.name.endswith(".tmp")]
    assert not leftovers


def test_a_name_taken_by_a_concurrent_request_is_refused_not_overwritten(served: Served) -> None:
    """Eight requests for one name on two servers: one wins, seven get 409, the file holds the winner."""
    first, second = served.servers
    bodies = [{"name": "contested", "label": f"version {i}", "owner": f"owner {i}"} for i in range(8)]
    answers = _at_once([((first, second)[i % 2], "/api/objectives", b) for i, b in enumerate(bodies)], served.token)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * 7, [a.text[:200] for a in answers]
    winner = next(b for b, a in zip(bodies, answers, strict=True) if a.status_code == 201)
    assert load_project(served.root).objectives["contested"].label == winner["label"]
    assert [n for a, n in _audited(served.url) if a == "objective.create"] == ["contested"]


# -- in process: what a single write guarantees -------------------------------------------------------


@dataclass
class Local:
    root: Path
    store: Store
    project: Project  # after one objective was made in the app, so models/app.yml exists


@pytest.fixture
def local(tpch_site_template: Path, tmp_path: Path) -> Iterator[Local]:
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    store = Store(site_fixtures.settings_for(root).database_url or "")
    try:
        made = app_definitions.save(load_project(root), store, "objective", {"name": "kept"}, actor="t", create=True)
        yield Local(root, store, made)
    finally:
        store.close()


def test_a_refused_definition_never_touches_the_file(local: Local) -> None:
    """The new project is checked before the file is replaced: a reader never sees the refused text."""
    path = local.root / APP_FILE
    before = path.stat()
    with pytest.raises(DefinitionError, match="no_such_metric"):
        broken = {**_kpi("broken"), "metric": "no_such_metric"}
        app_definitions.save(local.project, local.store, "kpi", broken, actor="t", create=True)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_failed_audit_puts_back_what_was_there_under_the_lock(local: Local, monkeypatch: pytest.MonkeyPatch) -> None:
    path = local.root / APP_FILE
    text = path.read_text(encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("the store is gone")

    monkeypatch.setattr(audit_module, "audit", broken)
    with pytest.raises(RuntimeError, match="the store is gone"):
        app_definitions.save(local.project, local.store, "objective", {"name": "lost"}, actor="t", create=True)
    assert path.read_text(encoding="utf-8") == text
    assert "lost" not in load_project(local.root).objectives


def test_a_decision_is_made_on_the_files_as_they_are_not_on_a_stale_copy(local: Local) -> None:
    """A request holding a project loaded before another change landed cannot undo that change."""
    stale, store = local.project, local.store
    app_definitions.save(stale, store, "kpi", _kpi("first"), actor="t", create=True)
    app_definitions.save(stale, store, "kpi", _kpi("second"), actor="t", create=True)  # stale: no 'first'
    assert {"first", "second"} <= set(load_project(local.root).kpis)
    app_definitions.set_targets(stale, store, "first", [{"at_least": 7}], actor="t")  # 'first' not in stale
    after = load_project(local.root).kpis
    assert after["first"].model_dump(mode="json", exclude_none=True)["target"] == {"at_least": 7.0}
    assert "second" in after
    with pytest.raises(ConflictError, match="exists already"):
        app_definitions.save(stale, store, "kpi", _kpi("first"), actor="t", create=True)


def test_replacing_a_file_keeps_its_mode(local: Local) -> None:
    path = local.root / APP_FILE
    path.chmod(0o640)
    app_definitions.save(local.project, local.store, "objective", {"name": "two"}, actor="t", create=True)
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_definition_write_the_disk_refuses_answers_503_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while a definition file is written: a 503 with the reason, the old file intact, no temp left."""
    import errno

    from onpace import fileio

    path = tmp_path / "app.yml"
    path.write_text("kpis: []\n", encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, "fsync", full)
    with pytest.raises(fileio.FileWriteError, match="No space left on device") as caught:
        fileio.replace_text(path, "objectives: []\n")
    assert caught.value.status == 503
    assert path.read_text(encoding="utf-8") == "kpis: []\n"
    assert [p.name for p in tmp_path.iterdir()] == ["app.yml"]

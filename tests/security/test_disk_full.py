"""Item 14 of issue 13: a full disk answers 503 with a reason, and a refresh under it ends and says why.

Writes answered a bare 500 (the documented answer is 503), and a refresh started while the disk
was full stayed `running` for ever with its error swallowed. The disk is made full for real:
SQLite's `PRAGMA max_page_count`, set on every connection of the store to the pages it holds now,
makes any write that needs one more page fail with SQLITE_FULL ("database or disk is full"),
exactly as a full disk does.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from tests.api.conftest import Site

from onpace.catalog.project import load_project
from onpace.errors import StoreError
from onpace.services.refresh import refresh
from onpace.store import runs
from onpace.store.db import Store
from onpace.store.models import RefreshRun

FULL = "disk is full"


@contextmanager
def disk_full(store: Store) -> Iterator[None]:
    """Every connection of ``store`` may use the pages the database has now, and no more."""
    assert store.engine.dialect.name == "sqlite"
    with store.session(readonly=True) as s:
        pages = int(s.connection().exec_driver_sql("PRAGMA page_count").scalar_one())

    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(store.engine, "connect", limit)
    store.engine.dispose()  # the pooled connections reconnect with the limit
    try:
        yield
    finally:
        event.remove(store.engine, "connect", limit)
        store.engine.dispose()


def _days(count: int) -> list[dict[str, Any]]:
    first = dt.date(1990, 1, 1)
    return [{"period": (first + dt.timedelta(days=i)).isoformat(), "value": i} for i in range(count)]


def test_a_write_on_a_full_disk_answers_503_with_the_reason(site: Site) -> None:
    editor = site.login("editor")  # logged in before the disk fills
    with disk_full(site.workspace.store):
        answer = editor.post("/api/metrics/field_visits/observations", json={"observations": _days(5000)})
        assert answer.status_code == 503, answer.text
        assert FULL in answer.json()["detail"]
        assert "Traceback" not in answer.text
        assert answer.headers["retry-after"]
        # the reason's kind, never where the store is (its file is the server's business)
        assert str(site.root) not in answer.text and "store.db" not in answer.text, answer.text
        csv = "metric,period,value\n" + "".join(f"field_visits,{d['period']},1\n" for d in _days(5000))
        answer = editor.post("/api/values/import", files={"file": ("visits.csv", csv.encode(), "text/csv")})
        assert answer.status_code == 503 and FULL in answer.json()["detail"], answer.text
    # nothing half-written, and the store works again once there is room
    rows = editor.get("/api/metrics/field_visits/observations", params={"grain": "day"}).json()["rows"]
    assert rows == []
    done = editor.post("/api/metrics/field_visits/observations", json={"observations": _days(5000)})
    assert done.status_code == 200, done.text


def _run(store: Store, run_id: int) -> RefreshRun:
    with store.session(readonly=True) as s:
        return runs.get_run(s, run_id)


def test_a_refresh_started_on_a_full_disk_ends_failed_and_says_why(site: Site) -> None:
    admin = site.login("admin")
    store = site.workspace.store
    with disk_full(store):
        answer = admin.post("/api/runs", json={"full": True})
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["run_id"]
        site.workspace.wait_for_refresh(timeout=120)
        run = admin.get(f"/api/runs/{run_id}").json()
    assert run["status"] == "failed", run
    assert run["finished_at"] is not None
    reason = run["errors"]["*"]
    assert reason.startswith("cannot use the store") and reason.endswith(FULL), reason  # said plainly: no SQL dump


def test_a_run_whose_end_could_not_be_recorded_is_marked_by_the_next_refresh(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = site.workspace.store
    project = load_project(site.root)
    real_finish = runs.finish_run

    def cannot_record(*args: Any, **kwargs: Any) -> Any:
        raise StoreError(f"cannot use the store: {FULL}")

    monkeypatch.setattr(runs, "finish_run", cannot_record)  # the disk is full when the end is recorded
    with pytest.raises(StoreError), disk_full(store):
        refresh(project, store, full=True, requested_by="test")
    monkeypatch.setattr(runs, "finish_run", real_finish)
    with store.session(readonly=True) as s:
        stale = runs.last_run(s)
        assert stale is not None and stale.status == "running" and stale.pid == os.getpid()

    result = refresh(project, store, metrics=["revenue"], requested_by="test")  # this very process, still alive

    assert result.status == "succeeded", result.errors
    marked = _run(store, stale.id)
    assert marked.status == "interrupted" and marked.finished_at is not None
    assert marked.errors["*"] == runs.ABANDONED
    assert _run(store, result.run_id).status == "succeeded"

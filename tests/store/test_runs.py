"""Refresh runs: start, finish, the last ones, and runs whose process died."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy.exc import IntegrityError

from onpace.errors import NotFoundError
from onpace.store import Store
from onpace.store.models import RefreshRun
from onpace.store.runs import (
    finish_run,
    get_run,
    last_run,
    list_runs,
    mark_interrupted,
    pid_alive,
    start_run,
    this_host,
)


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has exited (and was reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(child.stdout)


def test_start_and_finish(store: Store) -> None:
    with store.session() as s:
        run_id = start_run(s, "incremental", "scheduler")
    with store.session() as s:
        run = get_run(s, run_id)
        assert (run.status, run.mode, run.requested_by) == ("running", "incremental", "scheduler")
        assert (run.pid, run.host) == (os.getpid(), this_host())
        assert (run.metrics_total, run.metrics_failed, run.errors, run.finished_at) == (0, 0, {}, None)

        finish_run(s, run_id, "partial", metrics_total=12, metrics_failed=2, errors={"churn": "division by zero"})
    with store.session() as s:
        run = get_run(s, run_id)
        assert (run.status, run.metrics_total, run.metrics_failed) == ("partial", 12, 2)
        assert run.errors == {"churn": "division by zero"}
        assert run.finished_at is not None
        assert run.finished_at >= run.started_at


def test_finish_needs_a_final_status_and_a_known_run(store: Store) -> None:
    with store.session() as s:
        run_id = start_run(s, "full", "alice")
        with pytest.raises(ValueError, match="not 'running'"):
            finish_run(s, run_id, "running", 0, 0)
        with pytest.raises(NotFoundError, match="no refresh run 999999"):
            finish_run(s, 999999, "succeeded", 0, 0)


def test_last_run_and_list_runs_newest_first(store: Store) -> None:
    with store.session() as s:
        assert last_run(s) is None
        assert list_runs(s) == []
        ids = [start_run(s, "full", f"user{i}") for i in range(3)]
    with store.session() as s:
        last = last_run(s)
        assert last is not None
        assert last.id == ids[-1]
        assert [r.id for r in list_runs(s)] == ids[::-1]
        assert [r.id for r in list_runs(s, limit=2)] == ids[:0:-1]


def test_mark_interrupted_only_touches_dead_processes_of_this_host(store: Store, dead_pid: int) -> None:
    with store.session() as s:
        alive = start_run(s, "full", "me")  # this process
        dead = start_run(s, "full", "cron", pid=dead_pid)
        finished = start_run(s, "full", "cron", pid=dead_pid)
        finish_run(s, finished, "succeeded", 1, 0)
        elsewhere = RefreshRun(status="running", mode="full", requested_by="x", pid=dead_pid, host="another-host")
        unknown = RefreshRun(status="running", mode="full", requested_by="x", pid=None, host=this_host())
        s.add_all([elsewhere, unknown])
    with store.session() as s:
        assert mark_interrupted(s) == 1
    with store.session() as s:
        statuses = {run.id: run.status for run in list_runs(s)}
        assert statuses == {
            alive: "running",
            dead: "interrupted",
            finished: "succeeded",
            elsewhere.id: "running",
            unknown.id: "running",
        }
        assert get_run(s, dead).finished_at is not None
        assert mark_interrupted(s) == 0  # nothing left to mark


def test_pid_alive(dead_pid: int) -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(dead_pid)
    assert not pid_alive(0)


@pytest.mark.parametrize(("field", "value"), [("status", "paused"), ("mode", "partial")])
def test_status_and_mode_are_checked_by_the_database(store: Store, field: str, value: str) -> None:
    row = {"status": "running", "mode": "full", "requested_by": "a"}
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(RefreshRun(**{**row, field: value}))

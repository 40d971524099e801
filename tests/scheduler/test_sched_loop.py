"""The scheduler's loop with a clock the test moves: coalesced missed ticks, no backfill for a new job,
takeover of a dead run, a released claim on stop, and a source's refresh job."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onpace.config import Settings
from onpace.services.scheduler import JobContext, Outcome, Scheduler, metrics_of_source, register_kind
from onpace.services.workspace import Workspace
from onpace.store import schedule as claims
from onpace.store.models import JobRun, Observation, RefreshRun

from .conftest import tiny_project

T0 = dt.datetime(2026, 12, 8, 6, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    root = tiny_project(tmp_path / "p", "schedule:\n  lease_seconds: 6\n  jobs:\n    heartbeat: {every: 10 seconds}\n")
    ws = Workspace(root, Settings(database_url=f"sqlite:///{(tmp_path / 'store.db').as_posix()}"))
    yield ws
    ws.close()


def _runs(ws: Workspace) -> list[JobRun]:
    with ws.store.session(readonly=True) as s:
        return list(s.scalars(select(JobRun).order_by(JobRun.scheduled_at)))


def _wait_idle(scheduler: Scheduler) -> None:
    deadline = time.monotonic() + 20
    while scheduler.running_jobs() and time.monotonic() < deadline:
        time.sleep(0.02)


def _record(ws: Workspace, job: str, tick: dt.datetime, status: str = "succeeded") -> int:
    with ws.store.session() as s:
        run_id = claims.claim(
            s, job, tick, owner="gone:1:x", host="gone", pid=1, now=tick, lease=dt.timedelta(seconds=6)
        )
        assert run_id is not None
        if status != "running":
            claims.finish(s, run_id, owner="gone:1:x", status=status, now=tick)  # type: ignore[arg-type]
    return run_id


def test_missed_ticks_run_once_coalesced(workspace: Workspace) -> None:
    _record(workspace, "heartbeat", T0)
    clock = Clock(T0 + dt.timedelta(seconds=95, milliseconds=300))  # down for 9 ticks (06:00:10 ... 06:01:30)
    scheduler = Scheduler(workspace, clock=clock)
    scheduler.run_pending()
    _wait_idle(scheduler)
    scheduler.run_pending()  # nothing more is due
    _wait_idle(scheduler)
    runs = _runs(workspace)
    assert [(r.scheduled_at, r.status) for r in runs] == [
        (T0, "succeeded"),
        (T0 + dt.timedelta(seconds=90), "succeeded"),
    ]
    clock.now = T0 + dt.timedelta(seconds=100, milliseconds=5)
    scheduler.run_pending()
    _wait_idle(scheduler)
    assert [r.scheduled_at for r in _runs(workspace)][-1] == T0 + dt.timedelta(seconds=100)


def test_a_new_job_starts_with_the_next_tick(workspace: Workspace) -> None:
    clock = Clock(T0 + dt.timedelta(seconds=3))
    scheduler = Scheduler(workspace, clock=clock)
    scheduler.run_pending()  # the tick of 06:00:00 was before this process started: not run
    assert _runs(workspace) == []
    clock.now = T0 + dt.timedelta(seconds=10, milliseconds=1)
    scheduler.run_pending()
    _wait_idle(scheduler)
    assert [r.scheduled_at for r in _runs(workspace)] == [T0 + dt.timedelta(seconds=10)]


def test_a_dead_run_is_taken_over_after_its_lease(workspace: Workspace) -> None:
    run_id = _record(workspace, "heartbeat", T0, status="running")  # its process died mid-run
    clock = Clock(T0 + dt.timedelta(seconds=5))  # lease (6 s) still live: not taken over
    scheduler = Scheduler(workspace, clock=clock)
    scheduler.run_pending()
    assert [(r.status, r.attempt) for r in _runs(workspace)] == [("running", 1)]
    clock.now = T0 + dt.timedelta(seconds=6, milliseconds=500)
    scheduler.run_pending()
    _wait_idle(scheduler)
    (run,) = _runs(workspace)
    assert (run.id, run.status, run.attempt, run.owner) == (run_id, "succeeded", 2, scheduler.owner)


def test_a_dead_run_after_a_later_tick_is_closed(workspace: Workspace) -> None:
    _record(workspace, "heartbeat", T0, status="running")
    _record(workspace, "heartbeat", T0 + dt.timedelta(seconds=10))
    scheduler = Scheduler(workspace, clock=Clock(T0 + dt.timedelta(seconds=15)))
    scheduler.run_pending()
    _wait_idle(scheduler)
    first, second = _runs(workspace)
    assert (first.status, first.attempt) == ("interrupted", 1)
    assert first.error == "its process stopped; a later tick of the job ran instead"
    assert second.status == "succeeded"


def test_too_many_attempts_fail(workspace: Workspace) -> None:
    run_id = _record(workspace, "heartbeat", T0, status="running")
    with workspace.store.session() as s:
        s.get(JobRun, run_id).attempt = 3  # type: ignore[union-attr]
    scheduler = Scheduler(workspace, clock=Clock(T0 + dt.timedelta(seconds=7)))
    scheduler.run_pending()
    (run,) = _runs(workspace)
    assert run.status == "failed"
    assert run.error == "its process stopped 3 times before it finished (schedule.max_attempts)"


def test_stop_releases_the_claim_of_a_running_job(tmp_path: Path) -> None:
    release = threading.Event()

    def slow(ctx: JobContext) -> Outcome:
        release.wait(30)
        return Outcome(rows=1)

    register_kind("sched_test_slow", slow)
    root = tiny_project(
        tmp_path / "p", "schedule:\n  lease_seconds: 6\n  jobs:\n    sched_test_slow: {every: 10 seconds}\n"
    )
    ws = Workspace(root, Settings(database_url=f"sqlite:///{(tmp_path / 'store.db').as_posix()}"))
    try:
        clock = Clock(T0 + dt.timedelta(seconds=10, milliseconds=1))
        first = Scheduler(ws, clock=Clock(T0 + dt.timedelta(seconds=1)))
        first.clock = clock
        first.run_pending()
        assert first.running_jobs() == ["sched_test_slow"]
        first.stop(grace=0.2)
        (run,) = _runs(ws)
        assert (run.status, run.lease_expires_at) == ("interrupted", clock.now)
        assert run.error == "the process stopped before the job finished; its claim was released"
        release.set()  # the old thread ends now: it no longer holds the claim and records nothing
        time.sleep(0.2)
        second = Scheduler(ws, clock=clock)
        second.run_pending()  # takes the released run over at once
        _wait_idle(second)
        (run,) = _runs(ws)
        assert (run.status, run.attempt, run.owner, run.rows) == ("succeeded", 2, second.owner, 1)
    finally:
        release.set()
        ws.close()


def test_refresh_job_refreshes_the_sources_metrics(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", "schedule:\n  lease_seconds: 6\n", source_refresh="{every: 10 seconds}")
    ws = Workspace(root, Settings(database_url=f"sqlite:///{(tmp_path / 'store.db').as_posix()}"))
    try:
        project = ws.project()
        metrics = metrics_of_source(project, "warehouse")
        assert metrics == sorted(project.metrics)  # one source: every metric reads it
        scheduler = Scheduler(ws, clock=Clock(T0 + dt.timedelta(seconds=1)))
        scheduler.clock = Clock(T0 + dt.timedelta(seconds=10, milliseconds=1))
        scheduler.run_pending()
        _wait_idle(scheduler)
        (run,) = _runs(ws)
        assert run.status == "succeeded", run.error
        with ws.store.session(readonly=True) as s:
            refresh = s.get(RefreshRun, run.run_id)
            assert refresh is not None
            assert (refresh.status, refresh.scope, refresh.requested_by) == (
                "succeeded",
                metrics,
                "scheduler (refresh:warehouse)",
            )
            written = s.scalar(select(func.count()).select_from(Observation).where(Observation.run_id == run.run_id))
        assert run.rows == written and written > 0
        assert run.details is not None and run.details["metrics"] == len(metrics)
    finally:
        ws.close()


def test_metrics_of_source_reads_the_lineage(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", "")
    text = (root / "onpace.yml").read_text(encoding="utf-8")
    text = text.replace(
        "    url: duckdb:///data/warehouse.duckdb\n",
        "    url: duckdb:///data/warehouse.duckdb\n  other:\n    url: duckdb:///data/other.duckdb\n",
    )
    (root / "onpace.yml").write_text(text + "default_source: warehouse\n", encoding="utf-8")
    (root / "models" / "other.yml").write_text(
        "datasets:\n  - name: visits\n    source: other\n    table: visits\n    time: day\n"
        "    dimensions:\n      - {name: day, column: day, type: time}\n"
        "    measures:\n      - {name: count, agg: count}\n"
        "metrics:\n  - name: visits\n    measure: visits.count\n",
        encoding="utf-8",
    )
    from onpace.catalog.project import load_project

    project = load_project(root)
    assert metrics_of_source(project, "other") == ["visits"]
    assert "visits" not in metrics_of_source(project, "warehouse")
    assert metrics_of_source(project, "warehouse")


def test_late_ticks_within_the_grace_each_run(workspace: Workspace) -> None:
    _record(workspace, "heartbeat", T0)
    scheduler = Scheduler(workspace, clock=Clock(T0 + dt.timedelta(seconds=25)))  # 06:00:10 and :20 are late
    for _ in range(3):
        scheduler.run_pending()
        _wait_idle(scheduler)
    assert [r.scheduled_at for r in _runs(workspace)] == [T0 + dt.timedelta(seconds=s) for s in (0, 10, 20)]

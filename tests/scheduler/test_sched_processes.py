"""Acceptance: two `onpace serve` and one `onpace worker` on one PostgreSQL store, and two `onpace serve`
on one SQLite store, run each scheduled job exactly once per tick over more than 20 ticks.

Real processes started as a user would (the `onpace` command), a heartbeat job every second and the
source's refresh every two seconds; the counts come from the store. The two stores run at once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from onpace.store.db import Store
from onpace.store.models import JobRun, RefreshRun

from .conftest import pg_backend, tiny_project

SCHEDULE = "schedule:\n  lease_seconds: 4\n  stop_grace_seconds: 5\n  jobs:\n    heartbeat: {every: 1 second}\n"
RUN_SECONDS = 24


def _onpace(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("onpace")
    return [str(script), *args] if script.is_file() else [sys.executable, "-m", "onpace", *args]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(root: Path, url: str, commands: list[str], log: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "ONPACE_DATABASE_URL": url, "ONPACE_ENVIRONMENT": "development"}
    env.pop("ONPACE_SCHEDULER", None)
    out = []
    for number, command in enumerate(commands):
        args = (
            _onpace("worker", "-p", str(root))
            if command == "worker"
            else _onpace("serve", "-p", str(root), "--port", str(_port()))
        )
        with (log.parent / f"{log.name}-{number}-{command}.log").open("wb") as handle:
            out.append(subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT))
    return out


def _stop(processes: list[subprocess.Popen[bytes]]) -> list[int]:
    for p in processes:
        p.send_signal(signal.SIGTERM)
    codes = []
    for p in processes:
        try:
            codes.append(p.wait(30))
        except subprocess.TimeoutExpired:
            p.kill()
            codes.append(-9)
    return codes


def _wait_ready(folder: Path, timeout: float = 90) -> None:
    """Until every process has started its scheduler (a worker says so; uvicorn after the app's startup)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = [(p.name, p.read_text(errors="replace")) for p in folder.glob("*.log")]
        if all(
            ("started" in text) if "worker" in name else ("Application startup complete" in text) for name, text in logs
        ):
            return
        time.sleep(0.2)
    raise AssertionError("the processes did not start in time")


@pytest.fixture(scope="module")
def pg_url_for_processes(pg_url: str) -> Iterator[str]:
    backend = pg_backend(pg_url, "onpace_sched")
    made = next(backend)
    yield made.new_url()
    backend.close()


def _check(url: str, pids: set[int]) -> None:
    with Store(url) as store, store.session(readonly=True) as s:
        runs = list(s.scalars(select(JobRun).order_by(JobRun.job, JobRun.scheduled_at)))
        refreshes = {r.id: r for r in s.scalars(select(RefreshRun))}
    by_job: dict[str, list[JobRun]] = {}
    for run in runs:
        by_job.setdefault(run.job, []).append(run)
    assert sorted(by_job) == ["heartbeat", "refresh:warehouse"]
    for job, step, least in (("heartbeat", 1, 20), ("refresh:warehouse", 2, 10)):
        ticks = [r.scheduled_at for r in by_job[job]]
        assert len(ticks) >= least, f"{job}: only {len(ticks)} ticks"
        assert len(set(ticks)) == len(ticks)  # never twice (the unique claim)
        gaps = [(a, b) for a, b in itertools.pairwise(ticks) if b - a != dt.timedelta(seconds=step)]
        assert gaps == [], f"{job}: ticks missed between {gaps[:3]}"  # never skipped: once per tick
        assert all(r.status == "succeeded" for r in by_job[job]), [
            (r.scheduled_at, r.status, r.error) for r in by_job[job] if r.status != "succeeded"
        ]
        assert all(r.attempt == 1 for r in by_job[job])
        assert {r.pid for r in by_job[job]} <= pids
    # each refresh tick made exactly one refresh run, and each refresh run belongs to one tick
    run_ids = [r.run_id for r in by_job["refresh:warehouse"]]
    assert None not in run_ids and len(set(run_ids)) == len(run_ids)
    assert set(run_ids) == {i for i, r in refreshes.items() if r.requested_by == "scheduler (refresh:warehouse)"}
    assert len({r.pid for r in runs}) >= 2  # the work was shared: more than one process ran ticks


def test_serve_and_worker_processes_run_each_tick_once(tmp_path: Path, pg_url_for_processes: str) -> None:
    groups = []
    for name, url, commands in (
        ("postgresql", pg_url_for_processes, ["serve", "serve", "worker"]),
        ("sqlite", f"sqlite:///{(tmp_path / 'sqlite-store.db').as_posix()}", ["serve", "serve"]),
    ):
        root = tiny_project(tmp_path / name, SCHEDULE, source_refresh="{every: 2 seconds}")
        Store.open(url).close()  # migrated once, before the processes race to start
        groups.append((name, url, _start(root, url, commands, tmp_path / name)))
    try:
        _wait_ready(tmp_path)
        time.sleep(RUN_SECONDS)
    finally:  # never leave a process behind
        stopped = [(name, url, processes, _stop(processes)) for name, url, processes in groups]
    for name, url, processes, codes in stopped:
        logs = {p.name: p.read_text(errors="replace") for p in sorted(tmp_path.glob(f"{name}-*.log"))}
        for (name, log), code in zip(sorted(logs.items()), codes, strict=False):
            if "worker" in name:
                assert code == 0, log[-3000:]
            else:  # uvicorn shuts down gracefully, then ends by the signal it was sent (exit status -15)
                assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in log, log[-3000:]
        _check(url, {p.pid for p in processes})

"""The ``reminders`` job: made from ``reminders:``, its tick's day in the schedule's time zone, and never a
reminder twice when two schedulers run the same tick: two threads with their own stores on one SQLite
file and on one PostgreSQL schema, and two real `onpace worker` processes on each.

The project is the team of tests/services/test_reminders.py. Queued on 2026-03-20, by hand: Ana's
overdue weekly review (her email and the team_chat channel) and Cy's never-reviewed KPI (the channel
only: Cy has no email): 3 messages.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.services.test_reminders import FIRST_KEYS, fill_team, write_team
from tests.store.backends import Backend

from onpace.catalog.project import Project, load_project
from onpace.services.reminder_jobs import run_reminders
from onpace.services.scheduler import JobContext, Outcome, jobs_of
from onpace.store.db import Store
from onpace.store.models import JobRun, OutboxMessage

from .conftest import pg_backend
from .test_sched_processes import _start, _stop, _wait_ready

TICK = dt.datetime(2026, 3, 20, 8, 0, tzinfo=dt.UTC)


def _context(project: Project, store: Store, scheduled_at: dt.datetime = TICK) -> JobContext:
    def no_engine() -> None:
        raise AssertionError("the reminders job needs no engine")

    return JobContext(
        project=project,
        store=store,
        job="reminders",
        scheduled_at=scheduled_at,
        run_id=1,
        stopping=threading.Event(),
        engine=no_engine,  # type: ignore[arg-type]
    )


def _keys(store: Store) -> list[str]:
    with store.session(readonly=True) as s:
        return list(s.scalars(select(OutboxMessage.key).order_by(OutboxMessage.key)))


def test_the_job_comes_from_the_reminders_settings(tmp_path: Path) -> None:
    jobs = {j.name: j for j in jobs_of(load_project(write_team(tmp_path / "on")))}
    assert jobs["reminders"].trigger.describe() == "cron '0 8 * * *' (UTC)"  # the default: every day at 08:00
    assert jobs["reminders"].origin == "reminders.schedule"
    zoned = write_team(tmp_path / "zoned", "  schedule: {cron: '30 7 * * 1-5', timezone: Europe/Madrid}\n")
    assert {j.name: j for j in jobs_of(load_project(zoned))}["reminders"].trigger.describe() == (
        "cron '30 7 * * 1-5' (Europe/Madrid)"
    )
    off = write_team(tmp_path / "off", "  enabled: false\n")
    assert "reminders" not in {j.name for j in jobs_of(load_project(off))}


def test_the_ticks_day_is_in_the_schedules_time_zone(tmp_path: Path) -> None:
    # 2026-03-21 23:30 UTC is 2026-03-22 08:30 in Tokyo: weekly_signups is then 5 days past its due day
    # (2026-03-17) and escalates; read in UTC (2026-03-21, 4 days) it would not
    root = write_team(tmp_path / "tokyo", "  schedule: {cron: '30 8 * * *', timezone: Asia/Tokyo}\n")
    project = load_project(root)
    with Store.open(f"sqlite:///{(tmp_path / 'store.db').as_posix()}") as store:
        fill_team(project, store)
        outcome: Outcome = run_reminders(_context(project, store, dt.datetime(2026, 3, 21, 23, 30, tzinfo=dt.UTC)))
        assert outcome.status == "succeeded"
        details = outcome.details["reminders"]
        assert (details["today"], details["escalated"], details["queued"]) == ("2026-03-22", 1, 4)
        assert outcome.rows == 4 and outcome.details["note"] == "not reached: Cy Dube"
        assert "reminder:weekly_signups::2026-03-17:escalation" in _keys(store)


@pytest.fixture
def team(tmp_path: Path) -> Project:
    return load_project(write_team(tmp_path / "team"))


def test_two_schedulers_on_the_same_tick_queue_each_reminder_once(
    team: Project, sched_backend: Backend, tmp_path: Path
) -> None:
    """Two threads, each with its own store on the same database, run the job for the same tick at once
    (as two processes would if both ran it): exactly one message per key."""
    url = sched_backend.new_url()
    with Store.open(url) as store:
        fill_team(team, store)
    barrier = threading.Barrier(2)
    outcomes: list[Outcome] = []
    failures: list[BaseException] = []

    def run() -> None:
        with Store(url) as own:
            try:
                barrier.wait()
                outcomes.append(run_reminders(_context(team, own)))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == [] and len(outcomes) == 2
    queued = sorted(o.details["reminders"]["queued"] for o in outcomes)
    skipped = sorted(o.details["reminders"]["skipped"] for o in outcomes)
    assert queued == [0, 3] and skipped == [0, 3]  # one run queued all three, the other found them there
    with Store(url) as store:
        assert _keys(store) == sorted(FIRST_KEYS)
        with store.session(readonly=True) as s:
            assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 3


# -- two real `onpace worker` processes on each store --------------------------------------------

EVERY_SECOND = """  schedule: {every: 1 second}
schedule:
  lease_seconds: 4
  stop_grace_seconds: 5
  delivery_every: 1 hour
"""
RUN_SECONDS = 6


@pytest.fixture(scope="module")
def pg_url_for_workers(pg_url: str) -> Iterator[str]:
    backend = pg_backend(pg_url, "onpace_remind")
    made = next(backend)
    yield made.new_url()
    backend.close()


def test_two_worker_processes_send_each_reminder_once(tmp_path: Path, pg_url_for_workers: str) -> None:
    """Two `onpace worker` processes per store, reminders every second: each tick runs once (the claim)
    and the reminders of the day are queued once (the keys); none of the KPIs is reviewed, so each
    reminder's key is the same on every tick (``never``): ana's two KPIs to her email and the channel,
    Cy's to the channel only, 5 messages."""
    groups = []
    for name, url in (
        ("postgresql", pg_url_for_workers),
        ("sqlite", f"sqlite:///{(tmp_path / 'sqlite-store.db').as_posix()}"),
    ):
        root = write_team(tmp_path / name / "team", EVERY_SECOND)
        with Store.open(url) as store:  # migrated once, before the processes race to start
            fill_team(load_project(root), store, reviewed=False, evaluate=False)
        logs = tmp_path / name / "logs"
        logs.mkdir()
        groups.append((name, url, logs, _start(root, url, ["worker", "worker"], logs / "w")))
    try:
        for _, _, logs, _ in groups:
            _wait_ready(logs)
        time.sleep(RUN_SECONDS)
    finally:  # never leave a process behind
        stopped = [(name, url, logs, processes, _stop(processes)) for name, url, logs, processes in groups]
    expected = {
        "reminder:weekly_signups::never:owner",
        "reminder:weekly_signups::never:owner:team_chat",
        "reminder:reviewed_lately::never:owner",
        "reminder:reviewed_lately::never:owner:team_chat",
        "reminder:monthly_signups::never:owner:team_chat",
    }
    for name, url, logs, processes, codes in stopped:
        text = "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(logs.glob("*.log")))
        assert codes == [0, 0], text
        with Store(url) as store, store.session(readonly=True) as s:
            runs = list(s.scalars(select(JobRun).where(JobRun.job == "reminders").order_by(JobRun.scheduled_at)))
            keys = list(s.scalars(select(OutboxMessage.key)))
        ticks = [r.scheduled_at for r in runs]
        assert len(ticks) >= 3 and len(set(ticks)) == len(ticks), (name, ticks)  # each tick once
        assert all(r.status == "succeeded" for r in runs), [(r.status, r.error) for r in runs]
        assert {r.pid for r in runs} <= {p.pid for p in processes}
        assert sorted(keys) == sorted(expected), name  # each reminder once, whatever the ticks
        assert sum(r.details["reminders"]["queued"] for r in runs) == 5, name

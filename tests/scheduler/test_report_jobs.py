"""The scheduler's ``report:<name>`` jobs: one per scheduled report, on its cron, once per tick.

The shop (tests/services/report_shop.py) has report ``digest`` on ``0 7 * * mon`` in Europe/London:
on Monday 2025-04-21 London is on summer time (UTC+1), so the tick is 06:00 UTC. It goes to the
``inbox`` folder channel here, so a delivered message is a file in ``outbox/``.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.services.report_shop import APP_URL, AS_OF, load, make_shop

from onpace.config import Settings
from onpace.services.refresh import refresh
from onpace.services.report_jobs import report_jobs, send_scheduled
from onpace.services.scheduler import JobContext, Scheduler, jobs_of
from onpace.services.workspace import Workspace
from onpace.store.models import JobRun, OutboxMessage, ReportRun

TICK = dt.datetime(2025, 4, 21, 6, 0, tzinfo=dt.UTC)
TO_INBOX = """reports:
  - name: digest
    label: Weekly digest
    audience: {kpis: [q_revenue, lateness, by_region]}
    schedule: {cron: "0 7 * * mon", timezone: Europe/London}
    recipients: [channel:inbox]
  - name: on_demand
    audience: {kpis: [q_revenue]}
    recipients: [channel:inbox]
"""


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def shop_root(tmp_path: Path) -> Path:
    root = make_shop(tmp_path / "shop", chat=False, folder=True, reports=TO_INBOX)
    (root / "onpace.yml").write_text(
        (root / "onpace.yml").read_text(encoding="utf-8") + "schedule:\n  lease_seconds: 30\n", encoding="utf-8"
    )
    return root


def _workspace(root: Path, store: Path) -> Workspace:
    return Workspace(root, Settings(database_url=f"sqlite:///{store.as_posix()}"))


@pytest.fixture
def workspaces(shop_root: Path, tmp_path: Path) -> Iterator[list[Workspace]]:
    """Two processes' workspaces on one store, the shop refreshed into it."""
    found = [_workspace(shop_root, tmp_path / "store.db") for _ in range(2)]
    result = refresh(found[0].project(), found[0].store, requested_by="test")
    assert result.status == "succeeded", result.errors
    yield found
    for ws in found:
        ws.close()


def test_one_job_per_scheduled_report_on_its_cron(shop_root: Path) -> None:
    project = load(shop_root)
    [job] = report_jobs(project)
    assert (job.name, job.origin) == ("report:digest", "reports.digest.schedule")
    assert job.trigger.next_after(dt.datetime(2025, 4, 15, tzinfo=dt.UTC)) == TICK  # Monday 07:00 BST
    assert job.trigger.next_after(TICK) == TICK + dt.timedelta(days=7)
    assert "report:digest" in [j.name for j in jobs_of(project)]


def test_the_scheduler_package_registers_the_report_jobs(shop_root: Path) -> None:
    """What `onpace serve` and `onpace worker` import (the scheduler package) makes the report jobs."""
    code = (
        "import sys; from onpace.catalog.project import load_project; from onpace.services.scheduler import jobs_of; "
        "print(sorted(j.name for j in jobs_of(load_project(sys.argv[1]))))"
    )
    shown = subprocess.run([sys.executable, "-c", code, str(shop_root)], check=True, capture_output=True, text=True)
    names = shown.stdout.strip()
    assert "'report:digest'" in names and "'report:on_demand'" not in names  # on_demand has no schedule


def _wait_idle(schedulers: list[Scheduler]) -> None:
    deadline = time.monotonic() + 120
    while any(s.running_jobs() for s in schedulers) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_two_schedulers_send_a_tick_once_and_deliver_it(workspaces: list[Workspace], shop_root: Path) -> None:
    schedulers = [Scheduler(ws, clock=Clock(TICK - dt.timedelta(minutes=1))) for ws in workspaces]
    for scheduler in schedulers:
        scheduler.clock = Clock(TICK + dt.timedelta(seconds=1))
    threads = [threading.Thread(target=s.run_pending) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    _wait_idle(schedulers)
    with workspaces[0].store.session(readonly=True) as s:
        jobs = list(s.scalars(select(JobRun).where(JobRun.job == "report:digest")))
        runs = list(s.scalars(select(ReportRun)))
        messages = list(s.scalars(select(OutboxMessage)))
    [job] = jobs
    assert (job.status, job.scheduled_at, job.rows, job.error) == ("succeeded", TICK, 1, None)
    [run] = runs
    assert (run.report, run.key, run.status, run.messages) == (
        "digest",
        f"scheduled:{TICK.isoformat()}",
        "succeeded",
        1,
    )
    assert run.requested_by == "scheduler (report:digest)" and str(run.as_of) == AS_OF
    [message] = messages
    assert message.status == "delivered"  # the job delivered what it queued (the project has channels)
    [written] = list((shop_root / "outbox").glob("*.txt"))
    shown = written.read_text(encoding="utf-8")
    assert f"Subject: Weekly digest — as of {AS_OF}" in shown
    # absolute with the shop's notifications.app_url, as a chat channel's link is
    assert f"Link: {APP_URL}/reports/digest/preview?as_of={AS_OF}" in shown
    assert "4 KPIs: 2 off track, 2 on track." in shown  # lateness and by_region NORTH are off track


def test_a_tick_run_again_after_a_takeover_sends_nothing_more(workspaces: list[Workspace]) -> None:
    """A scheduler that died after sending leaves its run to be taken over: the second run of the tick
    finds the report run of that tick and queues nothing."""
    outcomes = []
    for number, ws in enumerate(workspaces, start=1):
        ctx = JobContext(
            project=ws.project(),
            store=ws.store,
            job="report:digest",
            scheduled_at=TICK,
            run_id=number,
            stopping=threading.Event(),
            engine=ws.engine,
        )
        outcomes.append(send_scheduled(ctx, "digest"))
    first, second = outcomes
    assert first.details["report_run"] == second.details["report_run"]
    assert first.status == second.status == "succeeded"
    assert first.details["delivery"]["delivered"] == 1 and second.details["delivery"]["delivered"] == 0
    with workspaces[0].store.session(readonly=True) as s:
        assert len(list(s.scalars(select(ReportRun)))) == 1
        assert len(list(s.scalars(select(OutboxMessage)))) == 1


def test_a_failed_report_fails_its_job(workspaces: list[Workspace], monkeypatch: pytest.MonkeyPatch) -> None:
    from onpace.services import report_render

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the chart renderer crashed")

    monkeypatch.setattr(report_render, "chart_png", broken)
    ws = workspaces[0]
    ctx = JobContext(ws.project(), ws.store, "report:digest", TICK, 1, threading.Event(), ws.engine)
    outcome = send_scheduled(ctx, "digest")
    assert outcome.status == "failed"
    assert outcome.error == "the report could not be rendered: RuntimeError: the chart renderer crashed"
    assert outcome.rows == 0

"""The scheduler's loop: claim each due tick in the store, run it, renew its lease, take over dead runs.

Every process that runs a scheduler (each ``onpace serve`` worker, each ``onpace worker``) runs the
same loop over the same store; the store decides which one runs a tick (:mod:`onpace.store.schedule`):

- a job's due tick is the first fire time after its latest recorded tick, claimed when no run of
  the job holds a live lease. A tick more than ``schedule.misfire_grace_seconds`` late (every
  process was down, or the previous run took that long) is coalesced: only the latest of the
  missed ticks runs, once. A job that never ran starts with its first tick after this process
  started (nothing is run for the past). Runs of one job never overlap;
- the process renews the leases of its running jobs every third of ``schedule.lease_seconds``;
- a run whose lease expired (its process died) is taken over and run again, up to
  ``schedule.max_attempts`` attempts, unless a later tick of the job already ran;
- :meth:`Scheduler.stop` waits ``schedule.stop_grace_seconds`` for running jobs, then releases their
  claims (status 'interrupted', lease expired) so another process takes them over at once.

Jobs run in threads of their own (one at a time per job); the loop itself only talks to the store.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from onpace.catalog.project import Project
from onpace.errors import OnpaceError
from onpace.services.scheduler.jobs import Job, JobContext, Outcome, jobs_of
from onpace.services.workspace import Workspace
from onpace.store import schedule as claims
from onpace.store.coltypes import utcnow
from onpace.store.models import JobStatus
from onpace.store.runs import this_host

log = logging.getLogger("onpace.scheduler")
MAX_SLEEP_SECONDS = 10.0
MIN_SLEEP_SECONDS = 0.05


@dataclass
class _Running:
    job: Job
    run_id: int
    scheduled_at: dt.datetime
    thread: threading.Thread


class Scheduler:
    """The scheduled jobs of a workspace's project, claimed in its store; one per process."""

    def __init__(self, workspace: Workspace, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.ws = workspace
        self.store = workspace.store
        self.clock = clock
        self.host = this_host()
        self.pid = os.getpid()
        self.owner = f"{self.host}:{self.pid}:{secrets.token_hex(4)}"
        self.started_at = clock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[str, _Running] = {}
        self._jobs: tuple[Project, list[Job]] | None = None
        self._thread: threading.Thread | None = None
        self._last_renewal = 0.0
        self._engine: Any = None
        self._engine_project: Project | None = None
        self._engine_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> threading.Thread:
        """Run the loop in a background thread (the web app's way); :meth:`stop` ends it."""
        self._thread = threading.Thread(target=self.run_forever, name="onpace-scheduler", daemon=True)
        self._thread.start()
        return self._thread

    def run_forever(self) -> None:
        """Run the loop in this thread until :meth:`request_stop` (``onpace worker``'s way)."""
        log.info("scheduler %s started", self.owner)
        while not self._stop.is_set():
            try:
                pause = self.run_pending()
            except Exception:
                log.exception("the scheduler's pass failed; trying again shortly")
                pause = MAX_SLEEP_SECONDS / 2
            self._wake.wait(pause)
            self._wake.clear()

    def request_stop(self) -> None:
        """Ask the loop to stop (safe from a signal handler): no new tick is claimed."""
        self._stop.set()
        self._wake.set()

    def stop(self, grace: float | None = None) -> None:
        """Stop the loop, wait up to ``grace`` s (default schedule.stop_grace_seconds) for running jobs,
        then release the claims of those still running, so another process takes them over."""
        self.request_stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(MAX_SLEEP_SECONDS)
        if grace is None:
            grace = float(self._schedule_setting("stop_grace_seconds", 30))
        deadline = time.monotonic() + grace
        for running in list(self._running.values()):
            running.thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            left = [r for r in self._running.values() if r.thread.is_alive()]
        for running in left:
            try:
                with self.store.session() as s:
                    claims.finish(
                        s,
                        running.run_id,
                        owner=self.owner,
                        status="interrupted",
                        now=self.clock(),
                        error="the process stopped before the job finished; its claim was released",
                    )
            except Exception:
                log.exception("could not release the claim of %s", running.job.name)
        with self._engine_lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
        log.info("scheduler %s stopped", self.owner)

    def running_jobs(self) -> list[str]:
        with self._lock:
            return sorted(name for name, r in self._running.items() if r.thread.is_alive())

    # -- one pass --------------------------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        """The jobs of the project as its files are now (kept while they do not change)."""
        project = self.ws.project()
        cached = self._jobs
        if cached is not None and cached[0] is project:
            return cached[1]
        jobs = jobs_of(project)
        self._jobs = (project, jobs)
        log.info("scheduled jobs: %s", ", ".join(f"{j.name} ({j.trigger.describe()})" for j in jobs) or "none")
        return jobs

    def run_pending(self) -> float:
        """Renew leases, take over dead runs, claim and start the due ticks; the seconds to wait next."""
        jobs = {job.name: job for job in self.jobs()}
        lease = dt.timedelta(seconds=self._schedule_setting("lease_seconds", 60))
        now = self.clock()
        self._renew(now, lease)
        if not jobs or self._stop.is_set():
            return MAX_SLEEP_SECONDS
        busy = set(self.running_jobs())
        with self.store.session(readonly=True) as s:
            dead = claims.expired(s, now, jobs)
            latest = claims.last_ticks(s, list(jobs))
        for run in dead:
            if run.job in busy:
                continue
            self._take_over(jobs[run.job], run, latest.get(run.job), now, lease)
            busy = set(self.running_jobs())
        grace = dt.timedelta(seconds=self._schedule_setting("misfire_grace_seconds", 30))
        for name, job in jobs.items():
            if name in busy or self._stop.is_set():
                continue
            last = latest.get(name)
            if last is not None and _alive(last, now):
                continue  # its previous run still holds its lease: the ticks meanwhile wait for it
            due = self._due(job, last.scheduled_at if last is not None else None, now, grace)
            if due is None:
                continue
            with self.store.session() as s:
                run_id = claims.claim(
                    s, name, due, owner=self.owner, host=self.host, pid=self.pid, now=self.clock(), lease=lease
                )
            if run_id is not None:
                self._start(job, run_id, due)
        return self._pause(list(jobs.values()), lease)

    def _due(self, job: Job, last: dt.datetime | None, now: dt.datetime, grace: dt.timedelta) -> dt.datetime | None:
        """The tick of ``job`` to claim now, or None: the first one after its latest recorded tick
        (or, for a job that never ran, after this process started), when it is at most ``grace`` late;
        else the latest one (the ticks missed meanwhile are coalesced into it)."""
        latest = job.trigger.latest(now)
        if latest is None:
            return None
        if last is None:
            first = job.trigger.next_after(self.started_at - dt.timedelta(microseconds=1))
            if first is None or first > now:
                return None  # never ran: nothing is run for the time before this process started
        elif last >= latest:
            return None
        else:
            first = job.trigger.next_after(last)
        if first is not None and now - first <= grace:
            return first
        return latest

    def _take_over(self, job: Job, run: Any, latest: Any, now: dt.datetime, lease: dt.timedelta) -> None:
        max_attempts = int(self._schedule_setting("max_attempts", 3))
        with self.store.session() as s:
            if latest is not None and latest.id != run.id:
                claims.abandon(s, run, now=now, reason="its process stopped; a later tick of the job ran instead")
                return
            if run.attempt >= max_attempts:
                claims.abandon(
                    s,
                    run,
                    now=now,
                    status="failed",
                    reason=f"its process stopped {run.attempt} times before it finished (schedule.max_attempts)",
                )
                return
            taken = claims.take_over(s, run, owner=self.owner, host=self.host, pid=self.pid, now=now, lease=lease)
        if taken:
            log.warning(
                "%s: took over the run of %s from %s (its lease expired)", job.name, run.scheduled_at, run.owner
            )
            self._start(job, run.id, run.scheduled_at)

    def _renew(self, now: dt.datetime, lease: dt.timedelta) -> None:
        if time.monotonic() - self._last_renewal < lease.total_seconds() / 3:
            return
        self._last_renewal = time.monotonic()
        with self._lock:
            held = {r.run_id: r for r in self._running.values() if r.thread.is_alive()}
        if not held:
            return
        with self.store.session() as s:
            kept = claims.renew(s, held, owner=self.owner, until=now + lease)
        for run_id in set(held) - kept:
            log.error("%s: lost the claim of run %d (another process took it over)", held[run_id].job.name, run_id)

    def _pause(self, jobs: list[Job], lease: dt.timedelta) -> float:
        """Until the next fire time of any job, or the next lease renewal, whichever is first."""
        now = self.clock()
        pause = min(MAX_SLEEP_SECONDS, lease.total_seconds() / 3)
        for job in jobs:
            fire = job.trigger.next_after(now)
            if fire is not None:
                pause = min(pause, (fire - now).total_seconds())
        return max(MIN_SLEEP_SECONDS, pause)

    # -- running a job ---------------------------------------------------------------------------------
    def _start(self, job: Job, run_id: int, scheduled_at: dt.datetime) -> None:
        thread = threading.Thread(
            target=self._run, args=(job, run_id, scheduled_at), name=f"onpace-job-{job.name}", daemon=True
        )
        with self._lock:
            self._running[job.name] = _Running(job, run_id, scheduled_at, thread)
        log.info("%s: running the tick of %s (run %d)", job.name, scheduled_at.isoformat(), run_id)
        thread.start()

    def _run(self, job: Job, run_id: int, scheduled_at: dt.datetime) -> None:
        outcome = Outcome()
        try:
            context = JobContext(
                project=self.ws.project(),
                store=self.store,
                job=job.name,
                scheduled_at=scheduled_at,
                run_id=run_id,
                stopping=self._stop,
                engine=self.warm_engine,
            )
            outcome = job.run(context)
        except Exception as exc:
            log.exception("%s failed", job.name)
            outcome = Outcome(
                status="failed", error=str(exc) if isinstance(exc, OnpaceError) else f"{type(exc).__name__}: {exc}"
            )
        finally:
            status: JobStatus = "failed" if outcome.status == "failed" else "succeeded"
            try:
                with self.store.session() as s:
                    recorded = claims.finish(
                        s,
                        run_id,
                        owner=self.owner,
                        status=status,
                        now=self.clock(),
                        error=outcome.error,
                        rows=outcome.rows,
                        refresh_run=outcome.refresh_run,
                        details=outcome.details or None,
                    )
                if not recorded:
                    log.error("%s: run %d ended, but this process no longer holds its claim", job.name, run_id)
            except Exception:
                log.exception("%s: could not record the end of run %d", job.name, run_id)
            with self._lock:
                if self._running.get(job.name) is not None and self._running[job.name].run_id == run_id:
                    del self._running[job.name]
            self._wake.set()  # a tick that came due meanwhile is claimed now

    @contextmanager
    def warm_engine(self) -> Iterator[Any]:
        """The process's own engine for scheduled refreshes: built once per load of the project and kept
        (its compiled plans too), its source files released after each use so others may write them."""
        from onpace.engine import Engine

        project = self.ws.project()
        with self._engine_lock:
            if self._engine is None or self._engine_project is not project:
                if self._engine is not None:
                    self._engine.close()
                self._engine = Engine(project)
                self._engine_project = project
            # the data may have grown since the last job: forget the dates learnt then (the engine
            # keeps them across release(), and a remote database's change is never seen otherwise)
            self._engine.clear_cache()
            try:
                yield self._engine
            finally:
                self._engine.release()

    def _schedule_setting(self, name: str, default: int) -> int:
        project = self.ws.fresh_project()
        if project is None:
            try:
                project = self.ws.project()
            except OnpaceError:
                return default
        return int(getattr(project.config.schedule, name))


def _alive(run: Any, now: dt.datetime) -> bool:
    return bool(run.status == "running" and run.lease_expires_at > now)

"""Claimed ticks of scheduled jobs and how their runs went (table ``sched_job_runs``).

A tick is claimed by inserting its row: the unique (job, scheduled_at) lets exactly one process's
insert land (``INSERT … ON CONFLICT DO NOTHING``; on SQLite the write lock serialises the claims,
on PostgreSQL the unique index does). The claim carries a lease: its owner renews it while the job
runs, and when the owner dies the lease runs out and another process takes the run over with a
conditional update (it succeeds for one process only). Every change of a claim names its owner, so
a process that lost its claim (it stalled longer than the lease) cannot record over the new owner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from onpace.store.models import JobRun, JobStatus
from onpace.store.reads import list_job_runs as list_job_runs
from onpace.store.upsert import insert

CLAIMABLE = ("running", "interrupted")  # a run in one of these whose lease expired can be taken over


def claim(
    s: Session,
    job: str,
    scheduled_at: dt.datetime,
    *,
    owner: str,
    host: str,
    pid: int,
    now: dt.datetime,
    lease: dt.timedelta,
) -> int | None:
    """Claim the tick ``scheduled_at`` of ``job`` for ``owner``: its run's id, or None when another has it."""
    statement = (
        insert(s, JobRun.__table__)  # type: ignore[arg-type]
        .values(
            job=job,
            scheduled_at=scheduled_at,
            status="running",
            owner=owner,
            host=host,
            pid=pid,
            attempt=1,
            started_at=now,
            lease_expires_at=now + lease,
        )
        .on_conflict_do_nothing(index_elements=["job", "scheduled_at"])
        .returning(JobRun.__table__.c.id)
    )
    return s.execute(statement).scalar()


def last_tick(s: Session, job: str) -> JobRun | None:
    """The run of ``job``'s latest tick (whatever its status), or None when it never ran."""
    query = select(JobRun).where(JobRun.job == job).order_by(JobRun.scheduled_at.desc()).limit(1)
    return s.scalars(query).first()


def last_ticks(s: Session, jobs: Sequence[str]) -> dict[str, JobRun]:
    """The run of each job's latest tick, by job (jobs that never ran are left out)."""
    if not jobs:
        return {}
    latest = (
        select(JobRun.job, func.max(JobRun.scheduled_at).label("at"))
        .where(JobRun.job.in_(list(jobs)))
        .group_by(JobRun.job)
        .subquery()
    )
    query = select(JobRun).join(latest, and_(JobRun.job == latest.c.job, JobRun.scheduled_at == latest.c.at))
    return {run.job: run for run in s.scalars(query)}


def running(s: Session, job: str, now: dt.datetime) -> JobRun | None:
    """A run of ``job`` that is running with a live lease (held by some process), if any."""
    query = select(JobRun).where(JobRun.job == job, JobRun.status == "running", JobRun.lease_expires_at > now)
    return s.scalars(query.limit(1)).first()


def expired(s: Session, now: dt.datetime, jobs: Iterable[str] | None = None) -> list[JobRun]:
    """Runs still 'running' (or released as 'interrupted') whose lease ran out: their process is gone."""
    query = select(JobRun).where(JobRun.status.in_(CLAIMABLE), JobRun.lease_expires_at <= now)
    if jobs is not None:
        query = query.where(JobRun.job.in_(list(jobs)))
    return list(s.scalars(query.order_by(JobRun.scheduled_at)))


def take_over(
    s: Session, run: JobRun, *, owner: str, host: str, pid: int, now: dt.datetime, lease: dt.timedelta
) -> bool:
    """Take over ``run`` (its lease expired) for ``owner``: True for the one process whose update lands."""
    note = f"attempt {run.attempt} by {run.owner} stopped (its lease expired at {run.lease_expires_at.isoformat()})"
    details = {**(run.details or {}), "taken_over": [*(run.details or {}).get("taken_over", []), note]}
    done = s.execute(
        update(JobRun)
        .where(
            JobRun.id == run.id,
            JobRun.owner == run.owner,
            JobRun.attempt == run.attempt,
            JobRun.status.in_(CLAIMABLE),
            JobRun.lease_expires_at <= now,
        )
        .values(
            status="running",
            owner=owner,
            host=host,
            pid=pid,
            attempt=run.attempt + 1,
            started_at=now,
            finished_at=None,
            lease_expires_at=now + lease,
            error=None,
            details=details,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def renew(s: Session, ids: Iterable[int], *, owner: str, until: dt.datetime) -> set[int]:
    """Extend the leases of ``owner``'s running ``ids`` to ``until``; the ids still held (the others were lost)."""
    wanted = list(ids)
    if not wanted:
        return set()
    s.execute(
        update(JobRun)
        .where(JobRun.id.in_(wanted), JobRun.owner == owner, JobRun.status == "running")
        .values(lease_expires_at=until)
        .execution_options(synchronize_session=False)
    )
    held = select(JobRun.id).where(JobRun.id.in_(wanted), JobRun.owner == owner, JobRun.status == "running")
    return set(s.scalars(held))


def finish(
    s: Session,
    run_id: int,
    *,
    owner: str,
    status: JobStatus,
    now: dt.datetime,
    error: str | None = None,
    rows: int | None = None,
    refresh_run: int | None = None,
    details: dict[str, Any] | None = None,
) -> bool:
    """Record how ``owner``'s run ended; False when it no longer holds the claim (another took it over)."""
    if status == "running":
        raise ValueError("finish needs the status the run ended with, not 'running'")
    values: dict[str, Any] = {"status": status, "finished_at": now, "error": error, "rows": rows, "run_id": refresh_run}
    if status == "interrupted":
        values["lease_expires_at"] = now  # released: another process may take it over at once
    if details:
        current = s.scalar(select(JobRun.details).where(JobRun.id == run_id))
        values["details"] = {**(current or {}), **details}
    done = s.execute(
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.owner == owner, JobRun.status == "running")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def abandon(s: Session, run: JobRun, *, now: dt.datetime, reason: str, status: JobStatus = "interrupted") -> bool:
    """Close a run whose process is gone without running it again (a later tick ran, or too many attempts)."""
    done = s.execute(
        update(JobRun)
        .where(JobRun.id == run.id, JobRun.owner == run.owner, JobRun.attempt == run.attempt)
        .where(JobRun.status.in_(CLAIMABLE), JobRun.lease_expires_at <= now)
        .values(status=status, finished_at=run.finished_at or now, error=reason)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]

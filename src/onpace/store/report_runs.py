"""Report runs: one row per rendering of a report (``report_runs``), and the last one that went well.

A report says what changed *since the last report*: :func:`last_run` gives that run, whose
``started_at`` bounds the reviews and comments shown and whose ``kpis`` hold each KPI's status
and value as it showed them.

A run's ``key`` is unique per report: ``scheduled:<iso tick>`` for the scheduler's tick,
``manual:<uuid>`` for a send by hand to the report's recipients as of the latest data, ``oneoff:<uuid>``
for a send to one address or as of a past date (a test, a look back): never the baseline of the next
report. :func:`start_run` inserts with ON CONFLICT DO NOTHING, so of
two senders of one tick exactly one records the run (and queues its messages in the same
transaction); the other gets None and reads the run that was recorded (:func:`find_run`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onpace.errors import NotFoundError
from onpace.store.coltypes import utcnow
from onpace.store.db import Store
from onpace.store.models import ReportRun, ReportRunStatus
from onpace.store.upsert import insert

MAX_ERROR = 4000  # characters of a run's error kept


ONE_OFF = "oneoff:"  # the key prefix of a send to one address or as of a past date


def last_run(store: Store, report: str) -> ReportRun | None:
    """The newest succeeded run of ``report`` that went to its recipients as of the latest data (not a
    one-off send: :data:`ONE_OFF`), detached from its session; None when there is none."""
    with store.session(readonly=True) as s:
        run = s.scalars(
            select(ReportRun)
            .where(ReportRun.report == report, ReportRun.status == "succeeded", ~ReportRun.key.startswith(ONE_OFF))
            .order_by(ReportRun.started_at.desc(), ReportRun.id.desc())
            .limit(1)
        ).first()
        if run is not None:
            s.expunge(run)
        return run


def start_run(
    s: Session,
    report: str,
    key: str,
    *,
    as_of: dt.date | None,
    requested_by: str,
    started_at: dt.datetime | None = None,
) -> int | None:
    """Record run ``key`` of ``report`` as running; its id, or None when that run exists already.

    An INSERT … ON CONFLICT DO NOTHING in the caller's transaction: a repeated key does not spoil it.
    """
    table = ReportRun.__table__
    stmt = insert(s, table)  # type: ignore[arg-type]  # __table__ is typed as a FromClause
    stmt = stmt.values(
        report=report,
        key=key,
        as_of=as_of,
        requested_by=requested_by,
        started_at=started_at or utcnow(),
        status="running",
        messages=0,
    ).on_conflict_do_nothing(index_elements=["report", "key"])
    row = s.execute(stmt.returning(table.c.id)).first()
    return None if row is None else int(row[0])


def finish_run(
    s: Session,
    run_id: int,
    status: ReportRunStatus,
    *,
    messages: int = 0,
    pages: int | None = None,
    kpis: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> ReportRun:
    """Record how run ``run_id`` ended: ``succeeded`` (what it queued) or ``failed`` (why)."""
    if status == "running":
        raise ValueError("finish_run needs the status the run ended with, not 'running'")
    run = get_run(s, run_id)
    run.status = status
    run.finished_at = utcnow()
    run.messages = messages
    run.pages = pages
    run.kpis = dict(kpis) if kpis is not None else None
    run.error = error[:MAX_ERROR] if error else None
    s.flush()
    return run


def get_run(s: Session, run_id: int) -> ReportRun:
    run = s.get(ReportRun, run_id)
    if run is None:
        raise NotFoundError(f"no report run {run_id}")
    return run


def find_run(s: Session, report: str, key: str) -> ReportRun | None:
    """Run ``key`` of ``report``, if it was recorded."""
    return s.scalars(select(ReportRun).where(ReportRun.report == report, ReportRun.key == key)).first()


def runs_of(s: Session, report: str, limit: int = 20) -> list[ReportRun]:
    """The ``limit`` most recent runs of ``report``, newest first."""
    stmt = (
        select(ReportRun)
        .where(ReportRun.report == report)
        .order_by(ReportRun.started_at.desc(), ReportRun.id.desc())
        .limit(limit)
    )
    return list(s.scalars(stmt))

"""The store's reads that the reading commands make, in plain SQL (:mod:`onpace.store.reader`).

Each function takes a :class:`~onpace.store.reader.Reader` (``store.reader()``: no SQLAlchemy on a
SQLite store) or a SQLAlchemy session (its rows are then the store's models); the store modules of
each table re-export them under their usual names (``evaluations.latest_evaluations``,
``runs.list_runs``...). The SQL is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from onpace.store.reader import Reader, in_list, reader_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _where(conditions: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


# -- KPI evaluations and periods (onpace.store.evaluations) ------------------------------------------
def latest_evaluations(s: Session | Reader, kpi: str | None = None) -> list[Any]:
    """The newest evaluation of each (KPI, segment), by KPI and segment (rows of ``kpi_evaluations``)."""
    where, params = ("WHERE kpi = :kpi", {"kpi": kpi}) if kpi is not None else ("", {})
    sql = (
        "SELECT kpi_evaluations.* FROM kpi_evaluations JOIN ("
        "SELECT id, row_number() OVER (PARTITION BY kpi, segment ORDER BY evaluated_at DESC, id DESC) AS newest "
        f"FROM kpi_evaluations {where}) AS ranked ON ranked.id = kpi_evaluations.id "
        "WHERE ranked.newest = 1 ORDER BY kpi_evaluations.kpi, kpi_evaluations.segment"
    )
    return reader_of(s).rows("kpi_evaluations", sql, params)


def read_periods(
    s: Session | Reader, kpi: str | None = None, segment: str | None = None, until: dt.date | None = None
) -> list[Any]:
    """Stored periods (of one KPI, of one segment, ended by ``until``), by KPI and segment, newest first
    (rows of ``kpi_periods``)."""
    conditions: list[str] = []
    params: dict[str, Any] = {"kpi": kpi, "segment": segment, "until": until}
    for name, condition in (
        ("kpi", "kpi = :kpi"),
        ("segment", "segment = :segment"),
        ("until", "period_end <= :until"),
    ):
        if params[name] is not None:
            conditions.append(condition)
    sql = f"SELECT * FROM kpi_periods{_where(conditions)} ORDER BY kpi, segment, period_start DESC"
    return reader_of(s).rows("kpi_periods", sql, {k: v for k, v in params.items() if v is not None})


# -- reviews (onpace.store.reviews) ------------------------------------------------------------------
def list_reviews(s: Session | Reader, kpi: str | None = None, limit: int = 100) -> list[Any]:
    """The newest ``limit`` reviews (of one ``kpi``, every segment), newest first (rows of ``reviews``)."""
    where = " WHERE kpi = :kpi" if kpi is not None else ""
    sql = f"SELECT * FROM reviews{where} ORDER BY reviewed_at DESC, id DESC LIMIT :limit"
    return reader_of(s).rows("reviews", sql, {"limit": limit} | ({"kpi": kpi} if kpi is not None else {}))


# -- refresh runs and the scheduled jobs' runs (onpace.store.runs, onpace.store.schedule) ------------
def list_runs(s: Session | Reader, limit: int = 20) -> list[Any]:
    """The ``limit`` most recent refresh runs, newest first (rows of ``refresh_runs``)."""
    sql = "SELECT * FROM refresh_runs ORDER BY started_at DESC, id DESC LIMIT :limit"
    return reader_of(s).rows("refresh_runs", sql, {"limit": limit})


def list_job_runs(s: Session | Reader, *, limit: int = 50, job: str | None = None) -> list[Any]:
    """Runs of scheduled jobs, newest tick first (rows of ``sched_job_runs``)."""
    where = " WHERE job = :job" if job is not None else ""
    sql = f"SELECT * FROM sched_job_runs{where} ORDER BY scheduled_at DESC, id DESC LIMIT :limit"
    return reader_of(s).rows("sched_job_runs", sql, {"limit": limit} | ({"job": job} if job is not None else {}))


# -- alerts (onpace.store.alerts) --------------------------------------------------------------------
def alert_states(s: Session | Reader, rule: str | None = None, *, kpi: str | None = None) -> list[Any]:
    """The state of each series (of one ``rule``, of one ``kpi``), by rule and series (rows of ``alert_states``)."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if rule is not None:
        conditions.append("rule = :rule")
        params["rule"] = rule
    if kpi is not None:
        conditions.append("kpi = :kpi")
        params["kpi"] = kpi
    sql = f"SELECT * FROM alert_states{_where(conditions)} ORDER BY rule, series"
    return reader_of(s).rows("alert_states", sql, params)


def alert_mutes(s: Session | Reader, rules: Sequence[str] | None = None, *, at: dt.datetime | None = None) -> list[Any]:
    """The mutes in force at ``at`` (now): created by then, not ended by then, lasting after it
    (rows of ``alert_mutes``, by end and id)."""
    params: dict[str, Any] = {"at": at or dt.datetime.now(dt.UTC)}
    conditions = ["created_at <= :at", '"until" > :at', "(ended_at IS NULL OR ended_at > :at)"]
    if rules is not None:
        if not rules:
            return []
        condition, names = in_list("rule", "rule", list(rules))
        conditions.append(condition)
        params |= names
    sql = f'SELECT * FROM alert_mutes{_where(conditions)} ORDER BY "until", id'
    return reader_of(s).rows("alert_mutes", sql, params)

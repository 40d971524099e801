"""KPI evaluations: each time a KPI is evaluated, its status, pace and forecast are kept; and the
periods of each KPI that are over, achieved or missed (its history, one row per period)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onpace.store.coltypes import utcnow
from onpace.store.models import KpiEvaluation, KpiPeriod
from onpace.store.plain import plain_object


def add_evaluation(
    s: Session,
    *,
    kpi: str,
    as_of: date,
    period_start: date,
    period_end: date,
    status: str,
    segment: str = "",
    run_id: int | None = None,
    evaluated_at: datetime | None = None,
    target: float | None = None,
    target_low: float | None = None,
    target_high: float | None = None,
    actual: float | None = None,
    expected_to_date: float | None = None,
    attainment: float | None = None,
    forecast: float | None = None,
    forecast_low: float | None = None,
    forecast_high: float | None = None,
    probability: float | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Record one evaluation of ``kpi`` (for ``segment``; '' is the whole KPI); returns its id."""
    row = KpiEvaluation(
        kpi=kpi,
        segment=segment,
        run_id=run_id,
        evaluated_at=evaluated_at or utcnow(),
        as_of=as_of,
        period_start=period_start,
        period_end=period_end,
        target=target,
        target_low=target_low,
        target_high=target_high,
        actual=actual,
        expected_to_date=expected_to_date,
        attainment=attainment,
        forecast=forecast,
        forecast_low=forecast_low,
        forecast_high=forecast_high,
        probability=probability,
        status=status,
        details=plain_object(details, f"the details of the evaluation of {kpi!r}"),
    )
    s.add(row)
    s.flush()
    return row.id


def newest_id(s: Session) -> int:
    """The id of the newest evaluation (0 when there is none): it changes whenever anything is evaluated."""
    return int(s.scalar(select(func.max(KpiEvaluation.id))) or 0)


def latest_evaluations(s: Session, kpi: str | None = None) -> list[KpiEvaluation]:
    """The newest evaluation of each (KPI, segment), by KPI and segment."""
    newest = (
        func.row_number()
        .over(
            partition_by=(KpiEvaluation.kpi, KpiEvaluation.segment),
            order_by=(KpiEvaluation.evaluated_at.desc(), KpiEvaluation.id.desc()),
        )
        .label("newest")
    )
    ranked = select(KpiEvaluation.id, newest)
    if kpi is not None:
        ranked = ranked.where(KpiEvaluation.kpi == kpi)
    ranked_sq = ranked.subquery()
    query = (
        select(KpiEvaluation)
        .join(ranked_sq, ranked_sq.c.id == KpiEvaluation.id)
        .where(ranked_sq.c.newest == 1)
        .order_by(KpiEvaluation.kpi, KpiEvaluation.segment)
    )
    return list(s.scalars(query))


def evaluation_history(
    s: Session,
    kpi: str,
    segment: str = "",
    since: datetime | None = None,
    limit: int | None = None,
) -> list[KpiEvaluation]:
    """Evaluations of one KPI and segment, oldest first; ``limit`` keeps the newest ones."""
    query = select(KpiEvaluation).where(KpiEvaluation.kpi == kpi, KpiEvaluation.segment == segment)
    if since is not None:
        query = query.where(KpiEvaluation.evaluated_at >= since)
    query = query.order_by(KpiEvaluation.evaluated_at.desc(), KpiEvaluation.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(reversed(list(s.scalars(query))))


#: The fields of a stored period a refresh compares to decide whether it changed.
PERIOD_FIELDS = (
    "period_end",
    "as_of",
    "status",
    "target",
    "target_low",
    "target_high",
    "actual",
    "attainment",
    "details",
)


def write_periods(
    s: Session, kpi: str, segment: str, periods: Sequence[Mapping[str, Any]], run_id: int | None = None
) -> int:
    """Make the stored periods of ``kpi`` (``segment``) be ``periods``; return how many rows were written.

    Each of ``periods`` has ``period_start`` and the :data:`PERIOD_FIELDS`. A period stored with the
    same fields is left as it is (its ``evaluated_at`` and ``run_id`` say when it was last judged
    otherwise); a changed one is updated, a new one inserted, and a stored period no longer among
    ``periods`` (the KPI's timeframe changed) deleted.
    """
    stored = {
        row.period_start: row
        for row in s.scalars(select(KpiPeriod).where(KpiPeriod.kpi == kpi, KpiPeriod.segment == segment))
    }
    written = 0
    now = utcnow()
    for period in periods:
        values = {name: period[name] for name in PERIOD_FIELDS}
        values["details"] = plain_object(values["details"], f"the details of a past period of {kpi!r}")
        row = stored.pop(period["period_start"], None)
        if row is not None and all(getattr(row, name) == values[name] for name in PERIOD_FIELDS):
            continue
        if row is None:
            row = KpiPeriod(kpi=kpi, segment=segment, period_start=period["period_start"])
            s.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        row.run_id, row.evaluated_at = run_id, now
        written += 1
    for row in stored.values():
        s.delete(row)
    s.flush()
    return written


def read_periods(
    s: Session, kpi: str | None = None, segment: str | None = None, until: date | None = None
) -> list[KpiPeriod]:
    """Stored periods (of one KPI, of one segment, ended by ``until``), by KPI and segment, newest first."""
    query = select(KpiPeriod)
    if kpi is not None:
        query = query.where(KpiPeriod.kpi == kpi)
    if segment is not None:
        query = query.where(KpiPeriod.segment == segment)
    if until is not None:
        query = query.where(KpiPeriod.period_end <= until)
    query = query.order_by(KpiPeriod.kpi, KpiPeriod.segment, KpiPeriod.period_start.desc())
    return list(s.scalars(query))

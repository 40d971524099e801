"""Evaluate every KPI from the values refresh stored, and record the evaluations.

The numbers come from the store (the KPI's metric by day, and at the
timeframe's grain), never from a live query, so ``onpace status`` and the web
app agree with what the last refresh saw. This module only reads and writes
the store: every rule (as-of date, period, actual, target and baseline,
phasing, history) is in :mod:`onpace.kpi` (:func:`onpace.kpi.judge.evaluate_instance`),
which lint and the KPI chart call too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from onpace.catalog.project import Project
from onpace.errors import OnpaceError, StoreError
from onpace.kpi.evaluate import Evaluation
from onpace.kpi.instances import KpiInstance, kpi_instances, timeframe_grain
from onpace.kpi.judge import evaluate_instance
from onpace.kpi.resolve import KpiTarget
from onpace.kpi.series import KpiSeries, from_stored, stored_grains
from onpace.kpi.types import Status
from onpace.services.failures import Failure
from onpace.store import evaluations as ev
from onpace.store import observations as obs
from onpace.store.db import Store


@dataclass(frozen=True)
class KpiResult:
    instance: KpiInstance
    evaluation: Evaluation
    target: KpiTarget | None = None


def evaluate_all(
    project: Project, store: Store, today: dt.date | None = None, errors: dict[Failure, str] | None = None
) -> list[KpiResult]:
    """Evaluate every KPI instance of the project from the store's values.

    A KPI that cannot be evaluated (a definition the math refuses, a stored value it cannot
    use) is left out and its error put in ``errors`` (KPI name -> message) when given, else
    raised; the others are evaluated. With ``errors``, even an unexpected error of one KPI
    (such as a stored date the calendar cannot place) only leaves that KPI out; a store that
    fails still stops them all.
    """
    results = []
    with store.session(readonly=True) as s:
        for instance in kpi_instances(project):
            try:
                series = read_kpi_series(s, project, instance)
                evaluation, target = evaluate_instance(project, instance, series, today or dt.date.today())
                results.append(KpiResult(instance, evaluation, target))
            except Exception as exc:
                if errors is None or isinstance(exc, (StoreError, SQLAlchemyError)):
                    raise
                reason = str(exc) if isinstance(exc, OnpaceError) else f"{type(exc).__name__}: {exc}"
                errors[Failure.kpi(instance.kpi.name, instance.segment_value)] = reason
    return results


def evaluate_and_store(
    project: Project,
    store: Store,
    *,
    run_id: int | None = None,
    today: dt.date | None = None,
    errors: dict[Failure, str] | None = None,
) -> int:
    """Evaluate every KPI and record the evaluations (one transaction); return how many.

    With ``errors``, a KPI that cannot be evaluated is reported there and the others are stored.
    """
    results = evaluate_all(project, store, today, errors)
    with store.session() as s:
        for result in results:
            e = result.evaluation
            ev.add_evaluation(
                s,
                kpi=result.instance.kpi.name,
                segment=result.instance.key,
                run_id=run_id,
                as_of=e.as_of,
                period_start=e.period_start,
                period_end=e.period_end,
                target=e.target,
                target_low=e.target_low,
                target_high=e.target_high,
                actual=e.actual,
                expected_to_date=e.expected_to_date,
                attainment=e.attainment,
                forecast=e.forecast,
                forecast_low=e.forecast_low,
                forecast_high=e.forecast_high,
                probability=e.probability,
                status=e.status.value,
                details=details(e, result.target),
            )
    return len(results)


def details(e: Evaluation, target: KpiTarget | None = None) -> dict[str, Any]:
    return {
        # a change target in words, and why it has no number (shown by the scorecard, the API and the web app)
        "target_basis": target.basis if target is not None else None,
        "target_unavailable": target.unavailable if target is not None else None,
        "target_kind": e.target_kind,
        "expected_low": e.expected_low,
        "expected_high": e.expected_high,
        "share": e.share,
        "elapsed_days": e.elapsed_days,
        "total_days": e.total_days,
        "forecast_method": e.forecast_method,
        "phasing": e.phasing_used,
        "notes": list(e.notes),
    }


def read_kpi_series(s: Session, project: Project, instance: KpiInstance) -> KpiSeries:
    """The stored values one KPI instance reads (:func:`onpace.kpi.series.from_stored`)."""
    metric = project.metrics[instance.kpi.metric or ""]
    grain = timeframe_grain(project, instance.kpi)
    rows = {g: obs.read_series(s, metric.name, g.value, instance.filter) for g in stored_grains(metric, grain)}
    return from_stored(metric, grain, project.calendar, rows)


STATUS_ORDER = [s.value for s in Status]

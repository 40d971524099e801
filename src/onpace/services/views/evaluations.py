"""An evaluation of a KPI for one period: the fields every view of a verdict shares, spelled once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from onpace.services.views.base import IsoDateTime, View

# kept in an evaluation's details rather than in columns of their own
FROM_DETAILS = frozenset(
    {"target_basis", "target_unavailable", "expected_low", "expected_high", "data_until", "reason"}
)


class Evaluated(View):
    """A KPI's verdict for one period as of one day: target, actual, pace, forecast and status."""

    period_start: dt.date
    period_end: dt.date
    as_of: dt.date = Field(description="the last day with data the evaluation counts")
    target: float | None
    target_low: float | None = Field(description="a `between` target's band")
    target_high: float | None
    target_basis: str | None = Field(description='a change target in words, e.g. "+15% vs 2024-Q4"')
    target_unavailable: str | None = Field(description="why a change target has no number")
    actual: float | None
    expected_to_date: float | None = Field(description="the target phased to the as-of day")
    expected_low: float | None = Field(description="a `between` target's band phased to date")
    expected_high: float | None
    attainment: float | None = Field(description="actual / expected to date")
    forecast: float | None = Field(description="the forecast at the period end")
    forecast_low: float | None
    forecast_high: float | None
    probability: float | None = Field(description="the chance of meeting the target")
    status: str = Field(description="on_track, at_risk, off_track, achieved, missed or no_data")
    evaluated_at: IsoDateTime
    data_until: dt.date | None = Field(description="the last day with data of the KPI's series (data as of)")
    elapsed_share: float | None = Field(description="the share of the period elapsed as of the as-of day, 0..1")
    reason: str | None = Field(description="the verdict in one sentence, with its numbers")


EVALUATED = tuple(Evaluated.model_fields)


def elapsed_share(details: dict[str, Any]) -> float | None:
    """Elapsed days over total days of the period, from an evaluation's details (None when not kept)."""
    elapsed, total = details.get("elapsed_days"), details.get("total_days")
    return elapsed / total if isinstance(elapsed, int) and isinstance(total, int) and total > 0 else None


def evaluated_fields(evaluation: Any) -> dict[str, Any]:
    """The :class:`Evaluated` fields of a stored evaluation (a row of ``kpi_evaluations``)."""
    details = getattr(evaluation, "details", None) or {}
    fields = {
        name: details.get(name) if name in FROM_DETAILS else getattr(evaluation, name, None)
        for name in EVALUATED
        if name != "elapsed_share"
    }
    return {**fields, "elapsed_share": elapsed_share(details)}


def period_fields(period: Any) -> dict[str, Any]:
    """The :class:`Evaluated` fields of a stored past period (a row of ``kpi_periods``): judged as of
    its last day, its target is what was expected and its forecast its actual (nothing remained)."""
    details = period.details or {}
    achieved = period.status == "achieved"
    return {
        "period_start": period.period_start,
        "period_end": period.period_end,
        "as_of": period.as_of,
        "target": period.target,
        "target_low": period.target_low,
        "target_high": period.target_high,
        "target_basis": details.get("target_basis"),
        "target_unavailable": None,
        "actual": period.actual,
        "expected_to_date": period.target,
        "expected_low": period.target_low,
        "expected_high": period.target_high,
        "attainment": period.attainment,
        "forecast": period.actual,
        "forecast_low": period.actual,
        "forecast_high": period.actual,
        "probability": 1.0 if achieved else 0.0,
        "status": period.status,
        "evaluated_at": period.evaluated_at,
        "data_until": period.as_of,
        "elapsed_share": 1.0,
        "reason": details.get("reason"),
    }


class Evaluation(Evaluated):
    """One stored evaluation of a KPI (``GET /api/kpis/{name}/evaluations`` and ``/periods``)."""

    run_id: int | None = Field(description="the refresh run that evaluated it (none: values imported or pushed)")
    period: str | None = Field(default=None, description="the period's name, e.g. 2026-Q3 (past periods)")
    segment: str | None = Field(default=None, description="the segment value of a KPI with segment_by")

    @classmethod
    def of(cls, evaluation: Any) -> Evaluation:
        return cls(**evaluated_fields(evaluation), run_id=evaluation.run_id, segment=evaluation.segment or None)

    @classmethod
    def of_period(cls, period: Any, label: str) -> Evaluation:
        """A stored past period (a row of ``kpi_periods``) named ``label``."""
        return cls(**period_fields(period), run_id=period.run_id, period=label, segment=period.segment or None)


class LastPeriod(View):
    """The last period of a KPI that is over: achieved or missed, with its actual and target."""

    period: str = Field(description="the period's name, e.g. 2026-Q3")
    period_start: dt.date
    period_end: dt.date
    status: str = Field(description="achieved or missed")
    actual: float | None
    target: float | None
    target_low: float | None = Field(description="a `between` target's band")
    target_high: float | None


class TargetChange(View):
    """One change of a KPI's targets: when, by whom, from what to what."""

    changed_at: IsoDateTime
    changed_by: str
    source: str = Field(description="yaml (onpace apply) or app")
    old: Any = Field(description="the targets before (none: the first)")
    new: Any

"""An evaluation of a KPI for one period: the fields every view of a verdict shares, spelled once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from onpace.services.views.base import IsoDateTime, View

# kept in an evaluation's details rather than in columns of their own
FROM_DETAILS = frozenset({"target_basis", "target_unavailable", "expected_low", "expected_high"})


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


EVALUATED = tuple(Evaluated.model_fields)


def evaluated_fields(evaluation: Any) -> dict[str, Any]:
    """The :class:`Evaluated` fields of a stored evaluation (a row of ``kpi_evaluations``)."""
    details = getattr(evaluation, "details", None) or {}
    return {name: details.get(name) if name in FROM_DETAILS else getattr(evaluation, name) for name in EVALUATED}


class Evaluation(Evaluated):
    """One stored evaluation of a KPI (``GET /api/kpis/{name}/evaluations`` and ``/periods``)."""

    run_id: int | None = Field(description="the refresh run that evaluated it (none: values imported or pushed)")

    @classmethod
    def of(cls, evaluation: Any) -> Evaluation:
        return cls(**evaluated_fields(evaluation), run_id=evaluation.run_id)


class TargetChange(View):
    """One change of a KPI's targets: when, by whom, from what to what."""

    changed_at: IsoDateTime
    changed_by: str
    source: str = Field(description="yaml (onpace apply) or app")
    old: Any = Field(description="the targets before (none: the first)")
    new: Any

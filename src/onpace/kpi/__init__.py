"""KPI evaluation as pure math: targets, phasing, attainment, status and forecasts.

Works on plain values (dates, floats, the small frozen dataclasses below) and
imports nothing from onpace but ``onpace.errors``. statsmodels is imported
only when a forecast is fitted.
"""

from __future__ import annotations

from onpace.kpi.evaluate import Evaluation, KpiInput, Phasing, evaluate
from onpace.kpi.forecast import Forecast, forecast_flow, forecast_level
from onpace.kpi.periods import elapsed_days, remaining_days, total_days
from onpace.kpi.phasing import linear_share, milestone_problems, milestone_share, seasonal_share
from onpace.kpi.status import attainment, meets, range_attainment, status, target_attainment
from onpace.kpi.targets import effective_entry, phase_target, resolve_target
from onpace.kpi.types import DEFAULT_BANDS, Bands, Direction, Status, Target, TargetSpec

__all__ = [
    "DEFAULT_BANDS",
    "Bands",
    "Direction",
    "Evaluation",
    "Forecast",
    "KpiInput",
    "Phasing",
    "Status",
    "Target",
    "TargetSpec",
    "attainment",
    "effective_entry",
    "elapsed_days",
    "evaluate",
    "forecast_flow",
    "forecast_level",
    "linear_share",
    "meets",
    "milestone_problems",
    "milestone_share",
    "phase_target",
    "range_attainment",
    "remaining_days",
    "resolve_target",
    "seasonal_share",
    "status",
    "target_attainment",
    "total_days",
]

"""The KPI rules, as pure functions: the one place a KPI's verdict is decided.

- :mod:`~onpace.kpi.instances`: a KPI's instances (per segment), timeframe grain,
  accumulation (flow or level), additivity and direction, from the definitions;
- :mod:`~onpace.kpi.series`: the values one instance is judged on (by day and by
  period), built from stored rows; manual values spread and rolled up;
- :mod:`~onpace.kpi.resolve`: the target of a period (schedule entry, baseline of a
  change target, the target in words);
- :mod:`~onpace.kpi.phasing`: the share of a flow target due by a day;
- :mod:`~onpace.kpi.judge`: the period, as-of date, actual and history of an
  instance, and its evaluation;
- :mod:`~onpace.kpi.evaluate`, :mod:`~onpace.kpi.status`, :mod:`~onpace.kpi.targets`,
  :mod:`~onpace.kpi.forecast`: one period as of one date, on plain numbers;
- :mod:`~onpace.kpi.rollup`: an objective's score and status from its KPIs.

It reads definitions (:mod:`onpace.catalog`) and the calendar, never the store
or the engine: the services read the stored values and call these functions,
so evaluation, lint, the KPI chart and the scorecard agree. statsmodels is
imported only when a forecast is fitted, and numpy (:mod:`~onpace.kpi.forecast`)
only when a forecast is made or one of its names is used from here: reading the
scorecard imports neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onpace.calendar import elapsed_days, remaining_days, total_days
from onpace.kpi.evaluate import Evaluation, KpiInput, evaluate
from onpace.kpi.phasing import Phasing, linear_share, milestone_problems, milestone_share, seasonal_share
from onpace.kpi.status import attainment, meets, range_attainment, status, target_attainment
from onpace.kpi.targets import effective_entry, phase_target, resolve_target
from onpace.kpi.types import DEFAULT_BANDS, Bands, Direction, Status, Target, TargetSpec

if TYPE_CHECKING:
    from onpace.kpi.forecast import Forecast, forecast_flow, forecast_level

_FORECAST_NAMES = frozenset({"Forecast", "forecast_flow", "forecast_level"})


def __getattr__(name: str) -> Any:
    """The names of :mod:`~onpace.kpi.forecast`, imported on first use (it imports numpy)."""
    if name in _FORECAST_NAMES:
        from onpace.kpi import forecast

        return getattr(forecast, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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

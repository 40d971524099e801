"""Forecast of a KPI's value at the end of its period, with an interval and the chance of meeting the target.

A flow ends at the actual to date plus the sum of the remaining days; a level
ends at the day-weighted average of the period so far and the remaining days.
Both come from the same distribution of the remaining days' sum
(``onpace.kpi.outlook``): simulated paths for ETS, a normal for the run rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from onpace.kpi.outlook import SumOutlook, remaining_sum
from onpace.kpi.status import meets
from onpace.kpi.types import Target


@dataclass(frozen=True)
class Forecast:
    """The period-end value, its interval, and the probability of meeting the target.

    ``method`` is ``ets``, ``run_rate``, ``actual`` (nothing remains: the
    actual is final) or ``none`` (no history: every number is None).
    ``probability`` is None without a target. ``note`` says why a fallback was
    used.
    """

    value: float | None
    low: float | None
    high: float | None
    probability: float | None
    method: str
    note: str | None = None


def _meets_all(finals: npt.NDArray[np.float64], target: Target) -> npt.NDArray[np.bool_]:
    if target.kind == "between":
        assert target.low is not None and target.high is not None
        return (finals >= target.low) & (finals <= target.high)
    assert target.value is not None
    return finals >= target.value if target.kind == "at_least" else finals <= target.value


def _normal_probability(mean: float, sd: float, target: Target) -> float:
    dist = NormalDist(mean, sd)
    if target.kind == "between":
        assert target.low is not None and target.high is not None
        return dist.cdf(target.high) - dist.cdf(target.low)
    assert target.value is not None
    return 1.0 - dist.cdf(target.value) if target.kind == "at_least" else dist.cdf(target.value)


def _check(level: float, remaining_days: int, gap_days: int) -> None:
    if not 0 < level < 1:
        raise ValueError(f"the interval level must be between 0 and 1, got {level}")
    if remaining_days < 0 or gap_days < 0:
        raise ValueError(f"expected remaining_days >= 0 and gap_days >= 0, got {remaining_days} and {gap_days}")


def _final(actual: float, target: Target | None) -> Forecast:
    probability = None if target is None else float(meets(actual, target))
    return Forecast(value=actual, low=actual, high=actual, probability=probability, method="actual")


def _project(outlook: SumOutlook, offset: float, scale: float, target: Target | None, level: float) -> Forecast:
    """The forecast of ``offset + scale * (sum of the remaining days)``, ``scale > 0``."""
    value = offset + scale * outlook.point
    if outlook.samples is not None:
        finals = offset + scale * outlook.samples
        low, high = (float(q) for q in np.quantile(finals, [(1 - level) / 2, (1 + level) / 2]))
        probability = None if target is None else float(np.mean(_meets_all(finals, target)))
    elif outlook.sd == 0:
        low = high = value
        probability = None if target is None else float(meets(value, target))
    else:
        sd = scale * outlook.sd
        half = NormalDist().inv_cdf((1 + level) / 2) * sd
        low, high = value - half, value + half
        probability = None if target is None else _normal_probability(value, sd, target)
    if probability is not None:
        probability = min(max(probability, 0.0), 1.0)
    return Forecast(value=value, low=low, high=high, probability=probability, method=outlook.method, note=outlook.note)


_NO_HISTORY = Forecast(None, None, None, None, method="none", note="no history to forecast from")


def forecast_flow(
    history: Sequence[float],
    actual_to_date: float,
    remaining_days: int,
    target: Target | None,
    level: float = 0.8,
    seed: int = 0,
    *,
    gap_days: int = 0,
) -> Forecast:
    """Forecast of a flow (additive) KPI at the end of its period.

    ``history`` is consecutive daily values up to and including the as-of date
    (at most the last 730 are used). ``gap_days`` are days between the as-of
    date and the first remaining day (as of a date before the period starts).
    The final value is ``actual_to_date + sum of the remaining days``; the
    interval holds the central ``level`` of it (0.8: from the 10th to the 90th
    percentile). With no remaining days the actual is final.
    """
    _check(level, remaining_days, gap_days)
    if remaining_days == 0:
        return _final(actual_to_date, target)
    outlook = remaining_sum(history, remaining_days, gap_days=gap_days, seed=seed)
    if outlook is None:
        return _NO_HISTORY
    return _project(outlook, offset=actual_to_date, scale=1.0, target=target, level=level)


def forecast_level(
    history: Sequence[float],
    actual_to_date: float,
    elapsed_days: int,
    remaining_days: int,
    target: Target | None,
    level: float = 0.8,
    seed: int = 0,
    *,
    gap_days: int = 0,
) -> Forecast:
    """Forecast of a level (non-additive: a rate, an average) KPI at the end of its period.

    ``history`` is consecutive daily values of the level metric. The final
    value is the day-weighted average of the period so far and the remaining
    days: ``(actual * elapsed + sum of the remaining days) / (elapsed + remaining)``.
    That weighting is an approximation for ratios whose days differ in size
    (a conversion rate on a quiet day weighs as much as on a busy one).
    """
    _check(level, remaining_days, gap_days)
    if elapsed_days < 0:
        raise ValueError(f"expected elapsed_days >= 0, got {elapsed_days}")
    if remaining_days == 0:
        return _final(actual_to_date, target)
    outlook = remaining_sum(history, remaining_days, gap_days=gap_days, seed=seed)
    if outlook is None:
        return _NO_HISTORY
    days = elapsed_days + remaining_days
    return _project(outlook, offset=actual_to_date * elapsed_days / days, scale=1.0 / days, target=target, level=level)

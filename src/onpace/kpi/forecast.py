"""Forecast of a KPI's value at the end of its period, with an interval and the chance of meeting the target.

The method follows the KPI's kind (:mod:`onpace.kpi.kind`):

- a **flow** (and a **count_distinct**) ends at the actual to date plus the sum of the
  remaining days;
- a **ratio** ends at the day-weighted average of the period so far and the remaining days;
- a **level** ends at its value on the last day: the level is forecast, not summed.

All come from one distribution of the coming values (:mod:`onpace.kpi.outlook`). The
bounds of a value (a count is not below 0, a rate stays within [0, 1]) hold for every
simulated value and for the period-end value, its interval and its probability.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from onpace.kpi.kind import NO_BOUNDS, Bounds, Kind
from onpace.kpi.outlook import NONE_DUE, SIMULATIONS, SumOutlook, due, last_value, remaining_sum
from onpace.kpi.status import TOLERANCE, meets
from onpace.kpi.types import Target

ONE_VALUE = "a single value so far: when the next one comes is not known, the actual holds"
#: How many of the latest values tell how far apart the values are.
STEP_SAMPLE = 60


@dataclass(frozen=True)
class Forecast:
    """The period-end value, its interval, and the probability of meeting the target.

    ``method`` is ``empirical``, ``ets``, ``run_rate``, ``actual`` (nothing remains: the
    actual is final) or ``none`` (no history: every number is None). ``probability`` is None
    without a target. ``note`` says why a fallback was used.
    """

    value: float | None
    low: float | None
    high: float | None
    probability: float | None
    method: str
    note: str | None = None


def _at_least_all(values: npt.NDArray[np.float64], bound: float) -> npt.NDArray[np.bool_]:
    """``values >= bound``, forgiving floating-point noise as :func:`onpace.kpi.status.meets` does."""
    return (values >= bound) | np.isclose(values, bound, rtol=TOLERANCE, atol=0.0)


def _at_most_all(values: npt.NDArray[np.float64], bound: float) -> npt.NDArray[np.bool_]:
    return (values <= bound) | np.isclose(values, bound, rtol=TOLERANCE, atol=0.0)


def _meets_all(finals: npt.NDArray[np.float64], target: Target) -> npt.NDArray[np.bool_]:
    """:func:`onpace.kpi.status.meets` of each final: a simulated 0.19999999999999998 meets at least 0.2."""
    if target.kind == "between":
        assert target.low is not None and target.high is not None
        return _at_least_all(finals, target.low) & _at_most_all(finals, target.high)
    assert target.value is not None
    return _at_least_all(finals, target.value) if target.kind == "at_least" else _at_most_all(finals, target.value)


def _below(x: float, dist: NormalDist, low: float | None, high: float | None, *, strict: bool) -> float:
    """P(clip(X) < x) (``strict``) or P(clip(X) <= x) for X of ``dist`` clipped to [low, high]."""
    if low is not None and (x <= low if strict else x < low):
        return 0.0
    if high is not None and (x > high if strict else x >= high):
        return 1.0
    return dist.cdf(x)


def _normal_probability(mean: float, sd: float, target: Target, low: float | None, high: float | None) -> float:
    dist = NormalDist(mean, sd)
    if target.kind == "between":
        assert target.low is not None and target.high is not None
        return _below(target.high, dist, low, high, strict=False) - _below(target.low, dist, low, high, strict=True)
    assert target.value is not None
    if target.kind == "at_least":
        return 1.0 - _below(target.value, dist, low, high, strict=True)
    return _below(target.value, dist, low, high, strict=False)


def _check(level: float, remaining_days: int, gap_days: int) -> None:
    if not 0 < level < 1:
        raise ValueError(f"the interval level must be between 0 and 1, got {level}")
    if remaining_days < 0 or gap_days < 0:
        raise ValueError(f"expected remaining_days >= 0 and gap_days >= 0, got {remaining_days} and {gap_days}")


def _final(actual: float, target: Target | None) -> Forecast:
    probability = None if target is None else float(meets(actual, target))
    return Forecast(value=actual, low=actual, high=actual, probability=probability, method="actual")


def _clip(value: float, low: float | None, high: float | None) -> float:
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def _tighter(a: float | None, b: float | None, pick: Callable[[float, float], float]) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return pick(a, b)


def _project(
    outlook: SumOutlook, offset: float, scale: float, target: Target | None, level: float, bounds: Bounds
) -> Forecast:
    """The forecast of ``offset + scale * outcome``, ``scale > 0``, kept within ``bounds``."""
    low_bound = _tighter(bounds[0], None if outlook.low is None else offset + scale * outlook.low, max)
    high_bound = _tighter(bounds[1], None if outlook.high is None else offset + scale * outlook.high, min)
    value = _clip(offset + scale * outlook.point, low_bound, high_bound)
    if outlook.samples is not None:
        return _from_samples(offset + scale * outlook.samples, value, (low_bound, high_bound), target, level, outlook)
    if outlook.sd == 0:
        low = high = value
        probability = None if target is None else float(meets(value, target))
    else:
        sd = scale * outlook.sd
        mean = offset + scale * outlook.point
        half = NormalDist().inv_cdf((1 + level) / 2) * sd
        low, high = _clip(mean - half, low_bound, high_bound), _clip(mean + half, low_bound, high_bound)
        probability = None if target is None else _normal_probability(mean, sd, target, low_bound, high_bound)
    if probability is not None:
        probability = min(max(probability, 0.0), 1.0)
    return Forecast(value=value, low=low, high=high, probability=probability, method=outlook.method, note=outlook.note)


def _from_samples(
    finals: npt.NDArray[np.float64],
    value: float,
    bounds: Bounds,
    target: Target | None,
    level: float,
    outlook: SumOutlook,
) -> Forecast:
    """The forecast read from possible period-end values: the interval's quantiles and the share meeting the target."""
    low_bound, high_bound = bounds
    if low_bound is not None or high_bound is not None:
        finals = np.clip(
            finals, -np.inf if low_bound is None else low_bound, np.inf if high_bound is None else high_bound
        )
    low, high = (float(q) for q in np.quantile(finals, [(1 - level) / 2, (1 + level) / 2]))
    probability = None if target is None else float(np.mean(_meets_all(finals, target)))
    return Forecast(value=value, low=low, high=high, probability=probability, method=outlook.method, note=outlook.note)


def population(distinct: float, counted: float) -> float | None:
    """The size ``N`` of the population a distinct count draws from, seen so far as ``distinct`` distinct
    values among ``counted`` daily ones: the root of ``N * (1 - exp(-counted / N)) = distinct`` (each
    day's values drawn at random from ``N``). None when nothing repeats (``distinct >= counted``): the
    days then simply add up."""
    if distinct <= 0 or distinct >= counted * (1 - 1e-9):
        return None
    low, high = distinct, distinct * 2.0
    while high * -math.expm1(-counted / high) < distinct:
        low, high = high, high * 2.0
        if high > distinct * 1e12:
            return None
    for _ in range(100):  # bisection: the left side grows with N
        middle = (low + high) / 2
        if middle * -math.expm1(-counted / middle) < distinct:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _distinct(
    outlook: SumOutlook, distinct: float, counted: float, target: Target | None, level: float, bounds: Bounds
) -> Forecast:
    """A distinct count at the period end: ``counted`` daily values so far gave ``distinct`` distinct ones,
    and the coming days add ``outcome`` daily values; new ones get rarer as the population is seen
    (:func:`population`)."""
    size = population(distinct, counted)

    def final(added: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if size is None:
            return distinct + added
        return size * -np.expm1(-(counted + np.maximum(added, -counted)) / size)

    if outlook.samples is not None:
        added = outlook.samples
    else:  # the normal outcome, read at 1,000 evenly spaced quantiles
        if outlook.sd == 0:
            added = np.full(SIMULATIONS, outlook.point)
        else:
            dist = NormalDist(outlook.point, outlook.sd)
            added = np.array([dist.inv_cdf((i + 0.5) / SIMULATIONS) for i in range(SIMULATIONS)])
        added = np.clip(
            added, -np.inf if outlook.low is None else outlook.low, np.inf if outlook.high is None else outlook.high
        )
    value = _clip(float(final(np.array([outlook.point]))[0]), *bounds)
    return _from_samples(final(added), value, bounds, target, level, outlook)


_NO_HISTORY = Forecast(None, None, None, None, method="none", note="no history to forecast from")


def _usable(bounds: Bounds, history: Sequence[float], actual: float) -> tuple[Bounds, str | None]:
    """The bounds the KPI's own values keep to; a bound they break is dropped, with a note."""
    low, high = bounds
    values = [*history, actual]
    broken: list[str] = []
    if low is not None and values and min(values) < low:
        low, broken = None, [*broken, f"below {bounds[0]:g}"]
    if high is not None and values and max(values) > high:
        high, broken = None, [*broken, f"above {bounds[1]:g}"]
    note = f"values {' and '.join(broken)} seen: that bound is not applied" if broken else None
    return (low, high), note


def _with_note(forecast: Forecast, note: str | None) -> Forecast:
    if note is None:
        return forecast
    joined = note if forecast.note is None else f"{forecast.note}; {note}"
    return Forecast(forecast.value, forecast.low, forecast.high, forecast.probability, forecast.method, joined)


def forecast_by_kind(
    kind: Kind,
    history: Sequence[float],
    actual_to_date: float,
    elapsed_days: int,
    remaining_days: int,
    target: Target | None,
    level: float = 0.8,
    seed: int = 0,
    *,
    gap_days: int = 0,
    step_days: float = 1.0,
    bounds: Bounds = NO_BOUNDS,
) -> Forecast:
    """The forecast of a KPI of ``kind`` at the end of its period.

    ``history`` is consecutive values of the metric up to and including the as-of date,
    ``step_days`` apart (1: daily; at most the last 730 are used). ``gap_days`` are days
    between the as-of date and the first remaining day (as of a date before the period
    starts). The interval holds the central ``level`` of the outcomes (0.8: from the 10th
    to the 90th percentile). With no remaining days the actual is final.
    """
    _check(level, remaining_days, gap_days)
    if elapsed_days < 0:
        raise ValueError(f"expected elapsed_days >= 0, got {elapsed_days}")
    if remaining_days == 0:
        return _final(actual_to_date, target)
    if len(history) == 0:
        return _NO_HISTORY
    if due(remaining_days, gap_days, step_days)[1] == 0:
        return replace(_final(actual_to_date, target), note=NONE_DUE if math.isfinite(step_days) else ONE_VALUE)
    bounds, note = _usable(bounds, history, actual_to_date)
    options = {"gap_days": gap_days, "seed": seed, "step_days": step_days, "bounds": bounds}
    if kind == "level":
        outlook = last_value(history, remaining_days, **options)  # type: ignore[arg-type]
        offset, scale = 0.0, 1.0
    else:
        outlook = remaining_sum(history, remaining_days, **options)  # type: ignore[arg-type]
        offset, scale = actual_to_date, 1.0
        if kind == "ratio":  # the day-weighted average of the days so far and the days to come
            days = elapsed_days + remaining_days
            offset = actual_to_date * elapsed_days / days
            scale = remaining_days / due(remaining_days, gap_days, step_days)[1] / days
    if outlook is None:
        return _NO_HISTORY
    if kind == "count_distinct":
        counted = float(sum(history[-elapsed_days:])) if elapsed_days and gap_days == 0 else 0.0
        return _with_note(_distinct(outlook, actual_to_date, counted, target, level, bounds), note)
    return _with_note(_project(outlook, offset, scale, target, level, bounds), note)


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
    """Forecast of a flow (additive) KPI at the end of its period: ``actual_to_date + sum of the remaining days``.

    ``history`` is consecutive daily values up to and including the as-of date.
    """
    return forecast_by_kind("flow", history, actual_to_date, 0, remaining_days, target, level, seed, gap_days=gap_days)


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
    """Forecast of a ratio (a rate, an average) KPI at the end of its period.

    The final value is the day-weighted average of the period so far and the remaining
    days: ``(actual * elapsed + sum of the remaining days) / (elapsed + remaining)``. That
    weighting is an approximation for ratios whose days differ in size (a conversion rate
    on a quiet day weighs as much as on a busy one).
    """
    return forecast_by_kind(
        "ratio", history, actual_to_date, elapsed_days, remaining_days, target, level, seed, gap_days=gap_days
    )


def observation_step(daily: Mapping[dt.date, float | None], until: dt.date) -> float:
    """How many days apart the values up to ``until`` are, from the last :data:`STEP_SAMPLE` days
    with a value: 1 when most are a day apart (daily values, some days missing), else the mean
    gap (about 30.4 for monthly values, whose months have 28 to 31 days); after a single value,
    infinity (when the next comes is not known: none is due)."""
    return step_of(sorted(d for d, v in daily.items() if v is not None and d <= until)[-STEP_SAMPLE:])


def step_of(days: Sequence[dt.date]) -> float:
    """:func:`observation_step` from its sample: the last days with a value, in date order (a series
    gives them without a scan of its days, :meth:`onpace.kpi.series.DayIndex.last_days`)."""
    if len(days) < 2:
        return 1.0 if not days else math.inf
    gaps = [(b - a).days for a, b in pairwise(days)]
    return 1.0 if statistics.median(gaps) <= 1 else statistics.fmean(gaps)

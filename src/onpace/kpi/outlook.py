"""The coming values of a metric, as a distribution: their sum (a flow, a ratio) or the last one (a level).

This is where a forecast method is chosen:

- ``empirical``, when the history holds at least :data:`MIN_ORIGINS` earlier days from which
  the same horizon can be checked (:data:`MIN_LEVEL_ORIGINS` for a level): the coming values are predicted from the last four weeks,
  day of the week by day of the week (from the last values when they are further apart than
  a day, such as one a month; a level's last value holds). When the history reaches a year
  back and it did better on it, the prediction is corrected by how the same days went a year
  earlier against the same prediction then. The outcomes are that prediction plus each error
  the same prediction made from every earlier day of the history, over the same horizon: the
  interval is as wide as the method's own past errors. Those windows overlap, so the errors
  hold about ``len / horizon`` independent ones: their spread is widened as Student's t is
  wider than the normal with that many (:func:`_small_sample`);
- ``ets``, for a history too short for that: an ETS model fitted to at most the last 730
  values, with 1000 simulated paths (:mod:`onpace.kpi.ets`); fits and paths are kept for
  the next forecast from the same values, and a series that grew starts from its last fit
  (:mod:`onpace.kpi.fits`);
- ``run_rate``: the mean of the last 28 values (at most) per value, with a normal spread of
  ``sd * sqrt(count)`` where ``sd`` is those values' standard deviation (a level: its last
  value, with ``sd`` that of its last changes). Used when there are
  fewer than 14 values of history, when the history is constant (it is then exact), and when
  the ETS fit fails.

Bounds on one value (a count is not below 0, a rate stays within [0, 1]) hold for every
outcome: a simulated value is clipped to them, a sum of ``count`` values to ``count`` times them.
``docs/kpi-evaluation.md`` ("Forecasts" and "Backtest") gives the rules and how they score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from onpace.kpi.ets import EtsFailed
from onpace.kpi.fits import simulate
from onpace.kpi.kind import NO_BOUNDS, Bounds
from onpace.kpi.status import TOLERANCE

F64 = npt.NDArray[np.float64]
Method = Literal["empirical", "ets", "run_rate"]

MAX_HISTORY_DAYS = 730
MIN_ETS_DAYS = 14
RUN_RATE_DAYS = 28
SIMULATIONS = 1000
WINDOW_DAYS = 28  # the empirical prediction reads the last four weeks
WEEK = 7
YEAR_DAYS = 364  # a year earlier, on the same day of the week
MIN_ORIGINS = 30  # past forecasts needed for empirical errors of a sum
MIN_LEVEL_ORIGINS = 12  # of a level: a year of monthly changes
NONE_DUE = "no further value is due before the period ends"
EPSILON = 1e-9  # 91 days of values every 30.33 days hold 3 of them


@dataclass(frozen=True)
class SumOutlook:
    """The sum (or the last) of the coming values.

    ``samples`` holds one possible outcome per path (empirical errors, ETS paths); without
    samples the outcome is normal with mean ``point`` and standard deviation ``sd`` (run
    rate), within ``low``..``high`` (the bounds of the outcome, None for none).
    """

    point: float
    samples: F64 | None
    sd: float
    method: Method
    note: str | None = None
    low: float | None = None
    high: float | None = None


def _clip(values: F64, low: float | None, high: float | None) -> F64:
    if low is None and high is None:
        return values
    return np.clip(values, -np.inf if low is None else low, np.inf if high is None else high)


def _scaled(bounds: Bounds, count: int) -> Bounds:
    low, high = bounds
    return (None if low is None else low * count, None if high is None else high * count)


def _checked(history: Sequence[float], days: int, gap_days: int) -> F64:
    if days < 1 or gap_days < 0:
        raise ValueError(f"expected days >= 1 and gap_days >= 0, got {days} and {gap_days}")
    values = np.asarray(history, dtype=np.float64)[-MAX_HISTORY_DAYS:]
    if not np.isfinite(values).all():
        raise ValueError("the history holds non-finite values (NaN or infinity); fill missing days first")
    return values


def _spread(values: F64, scale: F64) -> float:
    """The standard deviation of ``values``; 0 when it is floating-point noise next to the size of ``scale``'s
    values (a constant 0.2 a day has a spread of about 1e-17: read as a normal of that width, a forecast
    exactly on its target was given a 50% chance where the docs call a constant run rate exact)."""
    if len(values) < 2:
        return 0.0
    sd = float(values.std(ddof=1))
    size = float(np.abs(scale).max()) if len(scale) else 0.0
    return 0.0 if sd <= TOLERANCE * size else sd


def _run_rate(values: F64, count: int, note: str | None, last: bool, bounds: Bounds) -> SumOutlook:
    """The run rate over the last 28 values; a level holds its last value and moves like a random
    walk, by the spread of its last changes times ``sqrt(count)``."""
    window = values[-RUN_RATE_DAYS:]
    low, high = bounds if last else _scaled(bounds, count)
    if last:
        sd = _spread(np.diff(window), window)
        point = float(values[-1])
    else:
        sd = _spread(window, window)
        point = float(window.mean()) * count
    point = float(_clip(np.array([point]), low, high)[0])
    return SumOutlook(
        point=point, samples=None, sd=sd * math.sqrt(count), method="run_rate", note=note, low=low, high=high
    )


# ------------------------------------------------------------------ empirical

Z_90 = 1.2815515655446004  # the normal's 90th percentile


def _small_sample(independent: float) -> float:
    """How much wider Student's t is than the normal at the 90th percentile, with ``independent - 1``
    degrees of freedom (Cornish-Fisher expansion): the errors of a few independent windows
    understate the spread."""
    nu = max(independent - 1.0, 1.0)
    z = Z_90
    t = z + (z**3 + z) / (4 * nu) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * nu**2)
    return t / z


def _lagged_weeks(x: F64) -> F64:
    """``out[i]`` = the sum of the values 0, 7, 14 and 21 days before ``i`` (NaN where not all exist)."""
    out = np.full(len(x), np.nan)
    if len(x) >= WINDOW_DAYS - WEEK + 1:
        out[3 * WEEK :] = x[3 * WEEK :] + x[2 * WEEK : -WEEK] + x[WEEK : -2 * WEEK] + x[: -3 * WEEK]
    return out


def _predictions(x: F64, origins: npt.NDArray[np.intp], gap: int, count: int, step: float, last: bool) -> F64:
    """The plain prediction made on each origin ``t`` (knowing ``x[: t + 1]``) of the sum of
    ``x[t + gap + 1 : t + gap + count + 1]`` (or of its last value).

    Daily values: each coming day is the mean of the same day of the week over the last four
    weeks. Values further apart: each is the mean of the last ``28 / step`` ones (at least one).
    A level: the last value holds.
    """
    if last:
        return x[origins]
    cum = np.concatenate(([0.0], np.cumsum(x)))
    if step > 1:
        width = max(1, round(WINDOW_DAYS / step))
        return (cum[origins + 1] - cum[origins + 1 - width]) / width * count
    window = cum[origins + 1] - cum[origins + 1 - WINDOW_DAYS]
    out = (count // WEEK) * window / 4
    lagged = _lagged_weeks(x)
    for j in range(1, count % WEEK + 1):
        back = WEEK * math.ceil((gap + j) / WEEK)  # the same day of the week, within the last week
        out = out + lagged[origins + gap + j - back] / 4
    return out


def _actuals(x: F64, origins: npt.NDArray[np.intp], gap: int, count: int, last: bool) -> F64:
    if last:
        return x[origins + gap + count]
    cum = np.concatenate(([0.0], np.cumsum(x)))
    return cum[origins + gap + count + 1] - cum[origins + gap + 1]


def _empirical(x: F64, gap: int, count: int, step: float, last: bool, bounds: Bounds) -> SumOutlook | None:
    """The empirical outlook (see the module's doc), or None when the history is too short for it."""
    n = len(x)
    width = 1 if last else (WINDOW_DAYS if step == 1 else max(1, round(WINDOW_DAYS / step)))
    first = width - 1  # the first origin with a whole window behind it
    ahead = gap + count
    origins = np.arange(first, n - ahead, dtype=np.intp)
    if len(origins) < (MIN_LEVEL_ORIGINS if last else MIN_ORIGINS):
        return None
    now = np.array([n - 1], dtype=np.intp)
    predicted = _predictions(x, origins, gap, count, step, last)
    actual = _actuals(x, origins, gap, count, last)
    point = float(_predictions(x, now, gap, count, step, last)[0])
    note = None
    year = round(YEAR_DAYS / step)
    if not last and ahead <= year:
        # a year earlier: how the same coming days went against the same prediction then
        back = origins[origins - year >= first]
        if len(back) >= MIN_ORIGINS and n - 1 - year >= first:
            then = _predictions(x, back - year, gap, count, step, last)
            ratio = np.divide(
                _actuals(x, back - year, gap, count, last), then, out=np.full(len(back), np.nan), where=then > 0
            )
            seasonal = predicted[back - first] * ratio
            usable = np.isfinite(seasonal)
            plain_error = np.abs(actual[back - first] - predicted[back - first])[usable]
            seasonal_error = np.abs(actual[back - first] - seasonal)[usable]
            then_now = float(_predictions(x, now - year, gap, count, step, last)[0])
            if usable.sum() >= MIN_ORIGINS and then_now > 0 and seasonal_error.mean() < plain_error.mean():
                predicted, actual = seasonal[usable], actual[back - first][usable]
                point *= float(_actuals(x, now - year, gap, count, last)[0]) / then_now
                note = "corrected by the same days a year earlier"
    low, high = bounds if last else _scaled(bounds, count)
    errors = actual - predicted
    # the windows overlap: ``ahead`` values each, so the errors hold len / ahead independent ones
    centre = float(np.median(errors))
    errors = centre + (errors - centre) * _small_sample(max(len(errors) / ahead, 1.0))
    samples = _clip(point + errors, low, high)
    return SumOutlook(
        point=float(np.median(samples)), samples=samples, sd=0.0, method="empirical", note=note, low=low, high=high
    )


# ------------------------------------------------------------------ choosing


def due(days: int, gap_days: int, step: float) -> tuple[int, int]:
    """How many values (``step`` days apart) are skipped, then to come, in ``gap_days`` then ``days`` days."""
    if step == 1:
        return gap_days, days
    skipped = math.floor(gap_days / step + EPSILON)
    return skipped, math.floor((gap_days + days) / step + EPSILON) - skipped


def _outlook(
    history: Sequence[float], days: int, gap_days: int, seed: int, step_days: float, bounds: Bounds, last: bool
) -> SumOutlook | None:
    values = _checked(history, days, gap_days)
    if step_days < 1:
        raise ValueError(f"expected step_days >= 1, got {step_days}")
    if len(values) == 0:
        return None
    gap, count = due(days, gap_days, step_days)
    if count == 0:  # no value is due before the period ends: what is known is final
        point = float(values[-1]) if last else 0.0
        return SumOutlook(point=point, samples=None, sd=0.0, method="run_rate", note=NONE_DUE)
    if len(values) < MIN_ETS_DAYS:
        note = f"only {len(values)} days of history (ETS needs {MIN_ETS_DAYS}): forecast from the run rate"
        return _run_rate(values, count, note, last, bounds)
    if values.min() == values.max():
        return _run_rate(values, count, "the history is constant: forecast from the run rate", last, bounds)
    found = _empirical(values, gap, count, step_days, last, bounds)
    if found is not None:
        return found
    try:
        if step_days == 1:
            fitted = simulate(values, gap + count, repetitions=SIMULATIONS, seed=seed)
        else:
            fitted = simulate(values, gap + count, repetitions=SIMULATIONS, seed=seed, weekly=False)
    except EtsFailed as exc:
        return _run_rate(values, count, f"{exc}; forecast from the run rate", last, bounds)
    fit_note = None if fitted.converged else "the ETS fit did not fully converge"
    low, high = bounds
    paths = _clip(fitted.paths[gap:], low, high)
    steps = _clip(fitted.point[gap:], low, high)
    if last:
        return SumOutlook(point=float(steps[-1]), samples=paths[-1], sd=0.0, method="ets", note=fit_note)
    return SumOutlook(point=float(steps.sum()), samples=paths.sum(axis=0), sd=0.0, method="ets", note=fit_note)


def remaining_sum(
    history: Sequence[float],
    days: int,
    *,
    gap_days: int = 0,
    seed: int = 0,
    step_days: float = 1.0,
    bounds: Bounds = NO_BOUNDS,
) -> SumOutlook | None:
    """The distribution of the sum of the values of the ``days`` days that start ``gap_days`` days after the history.

    ``history`` is consecutive values ending on the as-of date, ``step_days`` apart (1: daily).
    None when it is empty: there is nothing to forecast from.
    """
    return _outlook(history, days, gap_days, seed, step_days, bounds, last=False)


def last_value(
    history: Sequence[float],
    days: int,
    *,
    gap_days: int = 0,
    seed: int = 0,
    step_days: float = 1.0,
    bounds: Bounds = NO_BOUNDS,
) -> SumOutlook | None:
    """The distribution of the last value within the ``days`` days after ``gap_days`` (a level's at the period end)."""
    return _outlook(history, days, gap_days, seed, step_days, bounds, last=True)

"""The sum of a metric's daily values over the coming days, as a distribution.

This is where a forecast method is chosen:

- ``ets``: an ETS model fitted to at most the last 730 days of history, with
  1000 simulated paths (``onpace.kpi.ets``);
- ``run_rate``: the mean of the last 28 days (at most) per day, with a normal
  spread of ``sd * sqrt(days)`` where ``sd`` is those days' standard
  deviation. Used when there are fewer than 14 days of history, when the
  history is constant (it is then exact), and when the ETS fit fails.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from onpace.kpi.ets import EtsFailed, simulate

MAX_HISTORY_DAYS = 730
MIN_ETS_DAYS = 14
RUN_RATE_DAYS = 28
SIMULATIONS = 1000


@dataclass(frozen=True)
class SumOutlook:
    """The sum of the next ``days`` daily values.

    ``samples`` holds one simulated sum per path (ETS); without samples the sum
    is normal with mean ``point`` and standard deviation ``sd`` (run rate).
    """

    point: float
    samples: npt.NDArray[np.float64] | None
    sd: float
    method: Literal["ets", "run_rate"]
    note: str | None = None


def _run_rate(values: npt.NDArray[np.float64], days: int, note: str | None) -> SumOutlook:
    window = values[-RUN_RATE_DAYS:]
    mean = float(window.mean())
    sd = float(window.std(ddof=1)) if len(window) >= 2 else 0.0
    return SumOutlook(point=mean * days, samples=None, sd=sd * math.sqrt(days), method="run_rate", note=note)


def remaining_sum(history: Sequence[float], days: int, *, gap_days: int = 0, seed: int = 0) -> SumOutlook | None:
    """The distribution of the sum of ``days`` daily values that start ``gap_days`` days after the history.

    ``history`` is consecutive daily values ending on the as-of date. None
    when it is empty: there is nothing to forecast from.
    """
    if days < 1 or gap_days < 0:
        raise ValueError(f"expected days >= 1 and gap_days >= 0, got {days} and {gap_days}")
    values = np.asarray(history, dtype=np.float64)[-MAX_HISTORY_DAYS:]
    if not np.isfinite(values).all():
        raise ValueError("the history holds non-finite values (NaN or infinity); fill missing days first")
    if len(values) == 0:
        return None
    if len(values) < MIN_ETS_DAYS:
        note = f"only {len(values)} days of history (ETS needs {MIN_ETS_DAYS}): forecast from the run rate"
        return _run_rate(values, days, note)
    if values.min() == values.max():
        return _run_rate(values, days, "the history is constant: forecast from the run rate")
    try:
        fitted = simulate(values, gap_days + days, repetitions=SIMULATIONS, seed=seed)
    except EtsFailed as exc:
        return _run_rate(values, days, f"{exc}; forecast from the run rate")
    fit_note = None if fitted.converged else "the ETS fit did not fully converge"
    samples = fitted.paths[gap_days:].sum(axis=0)
    return SumOutlook(point=float(fitted.point[gap_days:].sum()), samples=samples, sd=0.0, method="ets", note=fit_note)

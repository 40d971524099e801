"""ETS fits and simulations kept in memory: one fit per series, reused until its values change.

Fitting the model (:func:`onpace.kpi.ets.fit`) is most of a forecast's cost, and a refresh
forecasts every KPI again, most of them from the values of the refresh before. So the
process keeps (:class:`EtsMemo`):

- **the fit of each history**, by its values (every one, to the bit) and the model's shape
  (seasonal or not): KPIs on the same series, whatever their horizon, share one fit, and a
  series whose values did not change is not fitted again;
- **the simulated paths**, by the same and the steps, repetitions and seed: the same inputs
  give back the same paths, not recomputed.

A kept result is the very one computed for the same inputs, and every fit starts from
statsmodels' default start, so a hit gives exactly what a fresh process computes.

**Warm starts** (off unless a memo is made with ``warm_starts=True``): a history not fitted
yet would start the optimiser from the parameters of the fit of the history it grew from
(:meth:`EtsMemo.start`: the same values but for a few days revised at its end, and more days
after). They are off because they change forecasts, not only their cost: on short daily
series the damped trend's likelihood has several optima, or a ridge, and where the
optimiser ends depends on where it starts, so the same values could be forecast
differently by the scheduler's process and by ``onpace refresh`` (docs/kpi-evaluation.md,
"Fits shared and kept", gives the figures).

Both stores are bounded (fits by count, paths by bytes) and safe to use from several threads
(the web app and the scheduler share a process); two threads asking for the same new fit at
once may both compute it, with the same result.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from onpace.kpi import ets
from onpace.kpi.ets import EtsFailed, EtsPaths, Fit
from onpace.kpi.kept import Kept

F64 = npt.NDArray[np.float64]
#: The values at the end of a kept history that may differ in the history that grew from it
#: (a late row revises the last days): beyond these, a different series.
REVISED_DAYS = 7
FITS = 256  # kept fits (a fit weighs its history: at most 730 values, 5.8 kB)
PATHS = 256  # kept simulations, at most
PATHS_BYTES = 32 * 2**20  # and at most this many bytes of them (1,000 paths of 90 days weigh 720 kB)

_HistoryKey = tuple[bool, bytes]  # seasonal, the values' bytes
_PathsKey = tuple[bool, bytes, int, int, int]  # the same, steps, repetitions, seed


def _weight(found: EtsPaths) -> int:
    return int(found.point.nbytes + found.paths.nbytes)


class EtsMemo:
    """The fits and paths this process computed (see the module's doc)."""

    def __init__(
        self, fits: int = FITS, paths: int = PATHS, paths_bytes: int = PATHS_BYTES, *, warm_starts: bool = False
    ) -> None:
        self.warm_starts = warm_starts
        # a history's fit (or why it failed), with the history (read-only) for warm starts
        self.fits: Kept[_HistoryKey, tuple[Fit | str, F64]] = Kept(fits)
        self.paths: Kept[_PathsKey, EtsPaths] = Kept(paths, paths_bytes, _weight)

    def start(self, history: F64, seasonal: bool) -> Fit | None:
        """The kept fit (of the same shape) of the history ``history`` grew from: one whose values are
        the first ones of ``history``, but for at most :data:`REVISED_DAYS` at its end; the one that
        agrees on the most values when several do. None when none does (or warm starts are off)."""
        if not self.warm_starts:
            return None
        best: Fit | None = None
        agreed = -1
        for (shape, _), (found, old) in self.fits.items():
            if shape != seasonal or isinstance(found, str) or len(history) < len(old) - REVISED_DAYS:
                continue
            shared = min(len(old), len(history))
            differ = np.flatnonzero(old[:shared] != history[:shared])
            same = int(differ[0]) if len(differ) else shared
            if same >= len(old) - REVISED_DAYS and same > agreed:
                best, agreed = found, same
        return best

    def clear(self) -> None:
        self.fits.clear()
        self.paths.clear()


#: The fits and paths of this process.
MEMO = EtsMemo()


def simulate(history: F64, steps: int, *, repetitions: int, seed: int, weekly: bool = True) -> EtsPaths:
    """:func:`onpace.kpi.ets.simulate`, with the fits and paths kept in :data:`MEMO`: paths computed
    for the same inputs are given back, a history fitted before is not fitted again, and (warm
    starts on) a new history starts from the fit of the one it grew from (:meth:`EtsMemo.start`)."""
    values = np.array(history, dtype=np.float64)  # a copy: kept, so never changed by the caller
    values.flags.writeable = False
    seasonal = ets.is_seasonal(len(values), weekly)
    data = values.tobytes()
    memo = MEMO
    key: _PathsKey = (seasonal, data, steps, repetitions, seed)
    found = memo.paths.get(key)
    if found is not None:
        return found
    kept = memo.fits.get((seasonal, data))
    if kept is None:
        start = memo.start(values, seasonal)
        try:
            fitted: Fit | str = ets.fit(values, seasonal, None if start is None else start.params)
        except EtsFailed as exc:
            fitted = str(exc)
        memo.fits.put((seasonal, data), (fitted, values))
    else:
        fitted = kept[0]
    if isinstance(fitted, str):
        raise EtsFailed(fitted)
    found = ets.paths(values, seasonal, fitted, steps, repetitions=repetitions, seed=seed)
    memo.paths.put(key, found)
    return found

"""Daily paths simulated from an ETS model fitted to a daily history.

The model is statsmodels' ``ETSModel`` with additive errors and an additive
damped trend, plus an additive weekly season once the history holds at least
four full weeks of daily values. statsmodels is imported here, inside the functions: importing
it costs about a second, and most of onpace never forecasts.

A forecast takes two steps: :func:`fit` finds the model's parameters (the costly part: an
optimiser maximises the likelihood), and :func:`paths` simulates from them. The paths depend
only on the history, the parameters, the steps, the repetitions and the seed, so a fit can be
kept and simulated from again (:mod:`onpace.kpi.fits` keeps them). The first fit puts BLAS on
one thread (:mod:`onpace.kpi.blas`): the same numbers, without OpenBLAS's threads in the way.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from onpace.kpi.blas import one_thread

SEASON_DAYS = 7
MIN_SEASONAL_DAYS = 4 * SEASON_DAYS


class EtsFailed(Exception):
    """The model could not be fitted or gave non-finite values; the caller falls back."""


@dataclass(frozen=True)
class EtsPaths:
    """The point forecast (one value per step) and simulated paths (steps * repetitions)."""

    point: npt.NDArray[np.float64]
    paths: npt.NDArray[np.float64]
    seasonal: bool
    converged: bool


@dataclass(frozen=True)
class Fit:
    """The parameters found for one history (statsmodels' order: smoothing parameters, damping,
    initial states); ``converged``: the optimiser said it converged; ``warm``: it started from
    the parameters given (an earlier fit's), not from statsmodels' default start."""

    params: tuple[float, ...]
    converged: bool
    warm: bool = False


def is_seasonal(length: int, weekly: bool = True) -> bool:
    """Whether the model fitted to ``length`` values has a weekly season: daily values (``weekly``)
    and at least four full weeks of them (not for values further apart, such as one a month)."""
    return weekly and length >= MIN_SEASONAL_DAYS


@contextmanager
def _quiet() -> Iterator[None]:
    """Numerical warnings silenced (a ConvergenceWarning, numpy's divide-by-zero on a flat stretch):
    the result is judged instead."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _model(history: npt.NDArray[np.float64], seasonal: bool) -> Any:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    return ETSModel(
        history,
        error="add",
        trend="add",
        damped_trend=True,
        seasonal="add" if seasonal else None,
        seasonal_periods=SEASON_DAYS if seasonal else None,
    )


def _usable_start(model: Any, start: Sequence[float]) -> bool:
    """Whether ``start`` (an earlier fit's parameters) is a better place to start than statsmodels'
    default: the same parameters, and a likelihood there at least as high as at the default start.
    Parameters of another series (another scale, another season) start far worse and are not used."""
    default = np.asarray(model.start_params, dtype=np.float64)
    if len(start) != len(default):
        return False
    there = float(model.loglike(np.asarray(start, dtype=np.float64)))
    return bool(np.isfinite(there) and there >= float(model.loglike(default)))


def fit(history: npt.NDArray[np.float64], seasonal: bool, start: Sequence[float] | None = None) -> Fit:
    """The maximum-likelihood parameters of the model for ``history`` (:func:`is_seasonal` says
    ``seasonal``).

    ``start``: the parameters of an earlier fit (a warm start: the optimiser starts there, and
    stops sooner when they are close); used only when the likelihood there is at least as high
    as at statsmodels' default start (:func:`_usable_start`). The optimum found from a warm start
    may differ from the one found from the default start, by much on short series
    (docs/kpi-evaluation.md, "Fits shared and kept"): onpace's forecasts start from the default.
    A fit that did not converge is still used when its values are finite, and is
    reported through ``converged``. Raises ``EtsFailed`` when statsmodels rejects the data.
    """
    with _quiet():
        try:
            model = _model(history, seasonal)
            warm = start is not None and _usable_start(model, start)
            one_thread()
            result = model.fit(start_params=np.asarray(start) if warm else None, disp=False)
            params = tuple(float(p) for p in np.asarray(result.params, dtype=np.float64))
        except (ValueError, ArithmeticError) as exc:  # numpy's LinAlgError is a ValueError
            raise EtsFailed(f"the ETS fit failed: {exc}") from exc
    converged = bool((getattr(result, "mle_retvals", None) or {}).get("converged", True))
    return Fit(params=params, converged=converged, warm=warm)


def paths(
    history: npt.NDArray[np.float64], seasonal: bool, fitted: Fit, steps: int, *, repetitions: int, seed: int
) -> EtsPaths:
    """The point forecast and ``repetitions`` paths of ``steps`` days after ``history``, from the
    model with the parameters of ``fitted``.

    Deterministic: the same history, parameters and seed give the same paths. The arrays are
    read-only (they may be kept and shared). Raises ``EtsFailed`` when the forecast is not finite.
    """
    with _quiet():
        try:
            result = _model(history, seasonal).smooth(np.asarray(fitted.params, dtype=np.float64))
            point = np.asarray(result.forecast(steps), dtype=np.float64).reshape(steps)
            rng = np.random.default_rng(seed)
            simulated = result.simulate(steps, anchor="end", repetitions=repetitions, rng=rng)
            drawn = np.asarray(simulated, dtype=np.float64).reshape(steps, repetitions)
        except (ValueError, ArithmeticError) as exc:
            raise EtsFailed(f"the ETS fit failed: {exc}") from exc
    if not (np.isfinite(point).all() and np.isfinite(drawn).all()):
        raise EtsFailed("the ETS fit gave non-finite values")
    point.flags.writeable = False
    drawn.flags.writeable = False
    return EtsPaths(point=point, paths=drawn, seasonal=seasonal, converged=fitted.converged)


def simulate(
    history: npt.NDArray[np.float64], steps: int, *, repetitions: int, seed: int, weekly: bool = True
) -> EtsPaths:
    """Fit the model to ``history`` and simulate ``repetitions`` paths of ``steps`` days after it,
    without keeping anything (:func:`onpace.kpi.fits.simulate` keeps fits and paths).

    ``weekly``: the values are daily, so a weekly season is fitted once there are four full
    weeks of them (:func:`is_seasonal`). Raises ``EtsFailed`` as :func:`fit` and :func:`paths` do.
    """
    seasonal = is_seasonal(len(history), weekly)
    return paths(history, seasonal, fit(history, seasonal), steps, repetitions=repetitions, seed=seed)

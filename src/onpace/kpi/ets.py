"""Daily paths simulated from an ETS model fitted to a daily history.

The model is statsmodels' ``ETSModel`` with additive errors and an additive
damped trend, plus an additive weekly season once the history holds at least
four full weeks of daily values. statsmodels is imported here, inside the function: importing
it costs about a second, and most of onpace never forecasts.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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


def simulate(
    history: npt.NDArray[np.float64], steps: int, *, repetitions: int, seed: int, weekly: bool = True
) -> EtsPaths:
    """Fit the model to ``history`` and simulate ``repetitions`` paths of ``steps`` days after it.

    ``weekly``: the values are daily, so a weekly season is fitted once there are four full
    weeks of them (not for values further apart, such as one a month).

    Deterministic: the same history and seed give the same paths. Numerical
    warnings of the fit (a ConvergenceWarning, numpy's divide-by-zero on a
    flat stretch) are silenced here and judged by the result instead: a fit
    that did not converge is still used when its values are finite, and is
    reported through ``converged``. Raises ``EtsFailed`` when statsmodels
    rejects the data or the forecast is not finite.
    """
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = weekly and len(history) >= MIN_SEASONAL_DAYS
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            model = ETSModel(
                history,
                error="add",
                trend="add",
                damped_trend=True,
                seasonal="add" if seasonal else None,
                seasonal_periods=SEASON_DAYS if seasonal else None,
            )
            fit = model.fit(disp=False)
            point = np.asarray(fit.forecast(steps), dtype=np.float64).reshape(steps)
            rng = np.random.default_rng(seed)
            paths = np.asarray(fit.simulate(steps, anchor="end", repetitions=repetitions, rng=rng), dtype=np.float64)
        except (ValueError, ArithmeticError) as exc:  # numpy's LinAlgError is a ValueError
            raise EtsFailed(f"the ETS fit failed: {exc}") from exc
    paths = paths.reshape(steps, repetitions)
    if not (np.isfinite(point).all() and np.isfinite(paths).all()):
        raise EtsFailed("the ETS fit gave non-finite values")
    converged = bool((getattr(fit, "mle_retvals", None) or {}).get("converged", True))
    return EtsPaths(point=point, paths=paths, seasonal=seasonal, converged=converged)

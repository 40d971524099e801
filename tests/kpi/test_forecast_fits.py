"""ETS fits kept between forecasts (onpace.kpi.fits): shared, reused while the values stay the same, warm-started.

Fits are counted through ``ets.fit`` (every optimiser run goes through it) and simulations
through ``ets.paths``; each test has a memo of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from onpace.kpi import ets, fits
from onpace.kpi.evaluate import KpiInput, evaluate
from onpace.kpi.forecast import forecast_flow
from onpace.kpi.types import Target

F64 = npt.NDArray[np.float64]


@dataclasses.dataclass
class Counted:
    fits: list[ets.Fit]
    paths: int = 0


@pytest.fixture
def memo(monkeypatch: pytest.MonkeyPatch) -> fits.EtsMemo:
    fresh = fits.EtsMemo()
    monkeypatch.setattr(fits, "MEMO", fresh)
    return fresh


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, memo: fits.EtsMemo) -> Counted:
    seen = Counted(fits=[])
    fit, paths = ets.fit, ets.paths

    def counting_fit(history: F64, seasonal: bool, start: Sequence[float] | None = None) -> ets.Fit:
        found = fit(history, seasonal, start)
        seen.fits.append(found)
        return found

    def counting_paths(*args: object, **kwargs: object) -> ets.EtsPaths:
        seen.paths += 1
        return paths(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ets, "fit", counting_fit)
    monkeypatch.setattr(ets, "paths", counting_paths)
    return seen


def weekly(days: int, seed: int) -> list[float]:
    """About 100 a day rising 0.3 a day, 15 more on weekends, with noise: a series ETS is used for."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    return [float(v) for v in 100 + 0.3 * t + 15.0 * (t % 7 >= 5) + rng.normal(0, 4, days)]


HISTORY = tuple(weekly(60, seed=1))
Q3_START, Q3_END, AUGUST_END = dt.date(2025, 7, 1), dt.date(2025, 9, 30), dt.date(2025, 8, 31)
AS_OF = dt.date(2025, 8, 15)  # 46 days of the quarter to go, 16 of the month: too few origins for "empirical"


def kpi(history: tuple[float, ...], end: dt.date = Q3_END, start: dt.date = Q3_START) -> KpiInput:
    return KpiInput(
        accumulation="flow",
        direction="higher",
        period_start=start,
        period_end=end,
        as_of=AS_OF,
        actual=5000.0,
        history=history,
        target=Target.at_least(9000.0),
    )


# ------------------------------------------------------------------ shared and reused


def test_two_kpis_on_the_same_series_fit_once(counted: Counted) -> None:
    quarter = evaluate(kpi(HISTORY))
    month = evaluate(kpi(HISTORY, end=AUGUST_END, start=dt.date(2025, 8, 1)))
    assert quarter.forecast_method == month.forecast_method == "ets"
    assert len(counted.fits) == 1  # one fit, two horizons: each simulated from it
    assert counted.paths == 2


def test_a_series_that_did_not_change_is_not_refitted(counted: Counted, memo: fits.EtsMemo) -> None:
    first = evaluate(kpi(HISTORY))
    again = evaluate(kpi(HISTORY))
    assert again == first
    assert (len(counted.fits), counted.paths) == (1, 1)  # the forecast's paths reused outright
    assert len(memo.fits) == 1 and len(memo.paths) == 1


def test_a_changed_value_refits(counted: Counted) -> None:
    evaluate(kpi(HISTORY))
    middle = list(HISTORY)
    middle[30] += 1.0
    evaluate(kpi(tuple(middle)))
    last = list(HISTORY)
    last[-1] += 1.0  # the last day revised
    evaluate(kpi(tuple(last)))
    assert len(counted.fits) == 3
    assert not any(f.warm for f in counted.fits)  # each from the default start


def test_other_settings_are_other_fits(counted: Counted) -> None:
    values = np.array(HISTORY)
    fits.simulate(values, 10, repetitions=100, seed=0)
    fits.simulate(values, 10, repetitions=100, seed=0, weekly=False)  # no season: another model
    fits.simulate(values, 10, repetitions=100, seed=1)  # another seed: the same fit, other paths
    fits.simulate(values, 11, repetitions=100, seed=0)  # another horizon: the same fit, other paths
    fits.simulate(values, 10, repetitions=50, seed=0)
    assert [f.warm for f in counted.fits] == [False, False]
    assert counted.paths == 5


def test_kept_results_are_exactly_statsmodels_own(memo: fits.EtsMemo) -> None:
    """The model fitted by hand with statsmodels (the settings docs/kpi-evaluation.md gives), its
    forecast and its paths from the same seed: equal to the bit, computed, then kept, then simulated
    again from the kept fit."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    values = np.array(HISTORY)
    model = ETSModel(values, error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(disp=False)
    point = np.asarray(result.forecast(20))
    paths = np.asarray(result.simulate(20, anchor="end", repetitions=300, rng=np.random.default_rng(4)))

    computed = fits.simulate(values, 20, repetitions=300, seed=4)
    kept = fits.simulate(values, 20, repetitions=300, seed=4)
    memo.paths.clear()
    refitted_not = fits.simulate(values, 20, repetitions=300, seed=4)
    for found in (computed, kept, refitted_not):
        assert np.array_equal(found.point, point) and np.array_equal(found.paths, paths)
    assert kept is computed
    with pytest.raises(ValueError, match="read-only"):
        computed.paths[0, 0] = 0.0  # shared with every later forecast of the same inputs


def test_a_failed_fit_is_kept_too(counted: Counted, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(history: F64, seasonal: bool, start: Sequence[float] | None = None) -> ets.Fit:
        counted.fits.append(ets.Fit((), converged=False))
        raise ets.EtsFailed("the ETS fit failed: test")

    monkeypatch.setattr(ets, "fit", failing)
    for _ in range(2):
        f = forecast_flow(list(HISTORY), 0.0, 10, None)
        assert f.method == "run_rate" and f.note == "the ETS fit failed: test; forecast from the run rate"
    assert len(counted.fits) == 1


# ------------------------------------------------------------------ warm starts


def test_by_default_a_grown_series_is_fitted_from_the_default_start(counted: Counted, memo: fits.EtsMemo) -> None:
    """One more day of a series whose fit is kept: fitted from statsmodels' default start, so its
    forecast is the one a fresh process makes, to the bit."""
    grown = weekly(61, seed=0)
    forecast_flow(grown[:-1], 0.0, 30, None)
    kept = forecast_flow(grown, 0.0, 30, None)
    assert [f.warm for f in counted.fits] == [False, False]
    memo.clear()
    assert forecast_flow(grown, 0.0, 30, None) == kept


def test_a_warm_start_starts_from_the_fit_the_series_grew_from(
    counted: Counted, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fits, "MEMO", fits.EtsMemo(warm_starts=True))
    grown = weekly(61, seed=1)
    forecast_flow(grown[:-1], 0.0, 30, None)
    forecast_flow(grown, 0.0, 30, None)
    before, after = counted.fits
    assert (before.warm, after.warm) == (False, True)
    assert after.converged
    middle = list(grown)
    middle[20] += 1.0  # another series: from the default start
    forecast_flow(middle, 0.0, 30, None)
    assert not counted.fits[-1].warm


def test_parameters_of_another_series_do_not_start_a_fit() -> None:
    """Parameters of a series a thousand times larger are a worse start than the default (a lower
    likelihood there): the fit is the cold one, to the bit."""
    values = np.array(HISTORY)
    larger = ets.fit(values * 1000.0, seasonal=True)
    started = ets.fit(values, seasonal=True, start=larger.params)
    assert not started.warm
    assert started == ets.fit(values, seasonal=True)


def test_only_the_series_a_history_grew_from_starts_it() -> None:
    memo = fits.EtsMemo(warm_starts=True)
    grown = np.array(weekly(70, seed=3))
    other = grown.copy()
    other[10] += 1.0
    memo.fits.put((True, other[:60].tobytes()), (ets.Fit((1.0,), True), other[:60]))
    assert memo.start(grown, seasonal=True) is None  # differs before its last 7 values
    mine = ets.Fit((2.0,), True)
    memo.fits.put((True, grown[:60].tobytes()), (mine, grown[:60]))
    assert memo.start(grown, seasonal=True) is mine  # its first 60 values: grew from it
    revised = grown.copy()
    revised[55:60] += 5.0  # its last 5 days revised since
    assert memo.start(revised, seasonal=True) is mine
    assert memo.start(grown, seasonal=False) is None  # another model
    assert memo.start(grown[:52], seasonal=True) is None  # shorter by more than 7 days: not grown from it
    assert fits.EtsMemo().start(grown, seasonal=True) is None  # warm starts off

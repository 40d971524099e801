"""Forecasts to the period end: hand-computable cases, fallbacks, and properties."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onpace.kpi import outlook
from onpace.kpi.ets import EtsFailed, EtsPaths
from onpace.kpi.forecast import Forecast, forecast_flow, forecast_level
from onpace.kpi.types import Target

Z_90 = 1.2815515655446004  # the standard normal's 90th percentile: an 80% interval is mean ± Z_90 * sd


def noisy(values: list[float], sd: float, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return [v + float(e) for v, e in zip(values, rng.normal(0, sd, len(values)), strict=True)]


# ------------------------------------------------------------------ nothing left, nothing known


def test_with_no_remaining_days_the_actual_is_final() -> None:
    final = forecast_flow([5.0] * 30, 1000.0, 0, Target.at_least(1000.0))
    assert final == Forecast(1000.0, 1000.0, 1000.0, 1.0, method="actual")
    assert forecast_flow([], 999.0, 0, Target.at_least(1000.0)).probability == 0.0
    assert forecast_level([0.5], 0.93, 92, 0, Target.between(0.9, 0.95)).probability == 1.0
    assert forecast_flow([], 999.0, 0, None).probability is None


def test_without_history_there_is_no_forecast() -> None:
    assert forecast_flow([], 100.0, 10, Target.at_least(200.0)) == Forecast(
        None, None, None, None, method="none", note="no history to forecast from"
    )


def test_non_finite_history_is_refused() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        forecast_flow([1.0, math.nan, 2.0], 3.0, 5, None)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5])
def test_the_interval_level_is_a_fraction(level: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        forecast_flow([1.0], 1.0, 5, None, level=level)


# ------------------------------------------------------------------ run rate


def test_constant_history_forecasts_exactly() -> None:
    # every day 10.0, actual 100, 10 days to go: 100 + 10 * 10 = 200, no spread
    f = forecast_flow([10.0] * 60, 100.0, 10, Target.at_least(200.0))
    assert (f.value, f.low, f.high, f.probability, f.method) == (200.0, 200.0, 200.0, 1.0, "run_rate")
    assert forecast_flow([10.0] * 60, 100.0, 10, Target.at_least(200.5)).probability == 0.0


@pytest.mark.parametrize("daily", [0.1, 0.2, 0.3, 1 / 3, 0.7])
def test_a_constant_history_not_exact_in_binary_forecasts_exactly(daily: float) -> None:
    """A constant 0.2 a day had a spread of about 1e-17 (floating-point noise): read as a normal of that
    width, a forecast exactly on its target was given a 50% chance (a scorecard line "forecast 20.00%,
    50% chance" for a rate that never moved)."""
    f = forecast_flow([daily] * 60, daily * 46, 46, Target.at_least(daily * 92))
    assert (f.low, f.high, f.probability) == (f.value, f.value, 1.0)
    assert f.value == pytest.approx(daily * 92, rel=1e-12)
    assert forecast_flow([daily] * 60, daily * 46, 46, Target.at_least(daily * 92 * 1.001)).probability == 0.0
    level = forecast_level([daily] * 60, daily, 46, 46, Target.at_most(daily))
    assert (level.value, level.probability) == (pytest.approx(daily), 1.0)


def test_run_rate_with_a_short_history() -> None:
    # 10 days of 9, 11, 9, 11, …: mean 10, sample sd sqrt(10 / 9) = 1.05409
    # 4 days to go: sum 40 with sd 1.05409 * sqrt(4) = 2.10819
    # value 100 + 40 = 140, 80% interval 140 ± 1.28155 * 2.10819 = 140 ± 2.70175
    history = [9.0, 11.0] * 5
    f = forecast_flow(history, 100.0, 4, Target.at_least(140.0))
    assert f.method == "run_rate"
    assert f.note == "only 10 days of history (ETS needs 14): forecast from the run rate"
    assert f.value == pytest.approx(140.0)
    assert f.low == pytest.approx(140.0 - 2.70175, abs=1e-4)
    assert f.high == pytest.approx(140.0 + 2.70175, abs=1e-4)
    # a target at the mean is met half the time; one sd above it 1 - Φ(1) = 0.158655 of the time
    assert f.probability == pytest.approx(0.5)
    one_sd_up = forecast_flow(history, 100.0, 4, Target.at_least(140.0 + 2.10819))
    assert one_sd_up.probability == pytest.approx(0.158655, abs=1e-5)
    assert forecast_flow(history, 100.0, 4, Target.at_most(140.0 + 2.10819)).probability == pytest.approx(
        1 - 0.158655, abs=1e-5
    )


def test_level_run_rate_is_a_day_weighted_average() -> None:
    # 6 days of 0.4, 0.6, …: mean 0.5, sample sd sqrt(0.06 / 5) = 0.109545
    # as of day 20 of 30 with 0.45 so far: (0.45 * 20 + 0.5 * 10) / 30 = 14 / 30 = 0.466667
    # sd of the final: 0.109545 * sqrt(10) / 30 = 0.011547
    # P(0.45 <= final <= 0.5) = Φ((0.5 - 0.466667) / 0.011547) - Φ((0.45 - 0.466667) / 0.011547)
    #                         = Φ(2.88675) - Φ(-1.44338) = 0.998054 - 0.074457 = 0.923596
    f = forecast_level([0.4, 0.6] * 3, 0.45, 20, 10, Target.between(0.45, 0.5))
    assert f.method == "run_rate"
    assert f.value == pytest.approx(14 / 30)
    assert f.high - f.value == pytest.approx(Z_90 * 0.011547, rel=1e-4)  # type: ignore[operator]
    assert f.probability == pytest.approx(0.923596, abs=1e-5)


def test_level_with_a_constant_history() -> None:
    # (0.4 * 20 + 0.5 * 10) / 30 = 13 / 30
    f = forecast_level([0.5] * 30, 0.4, 20, 10, Target.at_least(0.43))
    assert f.value == pytest.approx(13 / 30) and f.probability == 1.0


def test_a_failed_fit_falls_back_to_the_run_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(history: npt.NDArray[np.float64], steps: int, *, repetitions: int, seed: int) -> EtsPaths:
        raise EtsFailed("the ETS fit failed: test")

    monkeypatch.setattr(outlook, "simulate", fail)
    # the last 28 days (of 9, 11, …) give the rate: 10 a day, 5 days to go
    f = forecast_flow([1000.0] * 12 + [9.0, 11.0] * 14, 0.0, 5, None)
    assert f.method == "run_rate" and f.value == pytest.approx(50.0)
    assert f.note == "the ETS fit failed: test; forecast from the run rate"


def test_at_most_730_days_are_fitted(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def record(history: npt.NDArray[np.float64], steps: int, *, repetitions: int, seed: int) -> EtsPaths:
        seen.append(len(history))
        return EtsPaths(np.zeros(steps), np.zeros((steps, repetitions)), seasonal=True, converged=True)

    monkeypatch.setattr(outlook, "simulate", record)
    monkeypatch.setattr(outlook, "_empirical", lambda *args: None)  # a history this long is read empirically
    forecast_flow([float(i % 7) for i in range(1000)], 0.0, 5, None)
    assert seen == [730]


# ------------------------------------------------------------------ ETS


def test_a_flat_history_forecasts_its_level() -> None:
    # 10 a day give or take 0.01, actual 100, 10 days to go: about 100 + 10 * 10 = 200
    history = [10.0 + (0.01 if i % 2 else -0.01) for i in range(56)]
    f = forecast_flow(history, 100.0, 10, Target.at_least(150.0))
    assert f.method == "ets"
    assert f.value == pytest.approx(200.0, abs=0.5)
    assert f.low is not None and f.high is not None
    assert 199.0 < f.low <= f.high < 201.0
    assert f.probability == 1.0


def test_a_rising_trend_makes_lower_targets_likelier() -> None:
    # 5 + 0.2 t + noise for 90 days; the next 30 days sum to about 30 * (5 + 0.2 * 104.5) = 777
    history = noisy([5.0 + 0.2 * t for t in range(90)], sd=1.0, seed=7)
    chances = [forecast_flow(history, 1000.0, 30, Target.at_least(1000.0 + s)).probability for s in (600, 770, 900)]
    assert chances[0] == 1.0
    assert chances[0] > chances[1] > chances[2]  # type: ignore[operator]
    assert chances[2] == 0.0


def test_weekly_seasonality_and_gap_days() -> None:
    # weekdays 100, weekends 0; the history ends on a Friday (7 weeks and 5 days)
    history = noisy(([100.0] * 5 + [0.0] * 2) * 8, sd=1.0, seed=11)[:54]
    weekend = forecast_flow(history, 0.0, 2, None)
    assert weekend.method == "ets" and abs(weekend.value) < 10  # type: ignore[arg-type]
    # skip the weekend (2 gap days): the next 5 days are weekdays, about 500
    week = forecast_flow(history, 0.0, 5, None, gap_days=2)
    assert week.value == pytest.approx(500.0, abs=10)


def test_level_forecast_with_ets() -> None:
    history = noisy([0.5] * 60, sd=0.02, seed=3)
    f = forecast_level(history, 0.5, 30, 30, Target.between(0.45, 0.55))
    assert f.method == "ets"
    assert f.value == pytest.approx(0.5, abs=0.01)
    assert f.probability is not None and f.probability > 0.95


def test_forecasts_are_deterministic() -> None:
    history = noisy([20.0 + 0.1 * t for t in range(70)], sd=2.0, seed=5)
    first = forecast_flow(history, 300.0, 20, Target.at_least(800.0))
    assert first.method == "ets"
    assert forecast_flow(history, 300.0, 20, Target.at_least(800.0)) == first
    assert forecast_flow(history, 300.0, 20, Target.at_least(800.0), seed=1) != first


def test_statsmodels_is_imported_only_to_forecast() -> None:
    code = "import sys, onpace.kpi; assert 'statsmodels' not in sys.modules, 'statsmodels imported eagerly'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ properties

values = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
targets = st.one_of(
    st.none(),
    values.map(Target.at_least),
    values.map(Target.at_most),
    st.tuples(values, values).map(lambda b: Target.between(min(b), max(b))),
)


def _check(f: Forecast, actual: float) -> None:
    assert f.value is not None and f.low is not None and f.high is not None
    assert f.low <= f.high
    if f.method != "ets":  # a simulated interval need not hold the point forecast
        assert f.low <= f.value <= f.high
    assert f.probability is None or 0.0 <= f.probability <= 1.0


@given(history=st.lists(values, min_size=1, max_size=13), actual=values, days=st.integers(0, 400), target=targets)
def test_run_rate_properties(history: list[float], actual: float, days: int, target: Target | None) -> None:
    f = forecast_flow(history, actual, days, target)
    _check(f, actual)
    assert f == forecast_flow(history, actual, days, target)
    if days == 0:
        assert f.value == f.low == f.high == actual
    level = forecast_level(history, actual, 10, days, target)
    _check(level, actual)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(values, min_size=14, max_size=60), actual=values, days=st.integers(1, 40), target=targets)
def test_ets_properties(history: list[float], actual: float, days: int, target: Target | None) -> None:
    f = forecast_flow(history, actual, days, target)
    _check(f, actual)
    assert f == forecast_flow(history, actual, days, target)

"""The backtest's pure math: replay days, past periods, the pace baseline and the scores, by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from onpace.catalog import models as m
from onpace.kpi.backtest import Replay, pace_probability, past_periods, points, replay, replay_day, score
from onpace.kpi.evaluate import KpiInput, evaluate
from onpace.kpi.types import Target

D = dt.date
Q3 = (D(1998, 7, 1), D(1998, 9, 30))  # 92 days


def test_points_spread_evenly_through_a_period() -> None:
    assert points(3) == (0.25, 0.5, 0.75)
    assert points(1) == (0.5,)
    assert points(4) == (0.2, 0.4, 0.6, 0.8)
    with pytest.raises(ValueError, match="at least one"):
        points(0)


def test_replay_days() -> None:
    # Q3 1998: 23, 46 and 69 of its 92 days elapsed
    assert [replay_day(*Q3, p) for p in points(3)] == [D(1998, 7, 23), D(1998, 8, 15), D(1998, 9, 7)]
    # February 2025 (28 days): 7, 14, 21
    feb = (D(2025, 2, 1), D(2025, 2, 28))
    assert [replay_day(*feb, p) for p in points(3)] == [D(2025, 2, 7), D(2025, 2, 14), D(2025, 2, 21)]
    # always a day behind and a day ahead: a two-day period is replayed on its first day
    assert replay_day(D(2025, 1, 1), D(2025, 1, 2), 0.75) == D(2025, 1, 1)
    assert replay_day(D(2025, 1, 1), D(2025, 1, 31), 0.01) == D(2025, 1, 1)


def test_past_periods_are_the_ones_the_data_covers_whole() -> None:
    calendar = m.Calendar()
    months = past_periods(D(2025, 1, 15), D(2025, 4, 30), m.Grain.month, calendar)
    assert months == [(D(2025, 2, 1), D(2025, 2, 28)), (D(2025, 3, 1), D(2025, 3, 31)), (D(2025, 4, 1), D(2025, 4, 30))]
    assert [s for s, _ in past_periods(D(2025, 1, 1), D(2025, 4, 29), m.Grain.month, calendar)] == [
        D(2025, 1, 1),
        D(2025, 2, 1),
        D(2025, 3, 1),
    ]
    assert past_periods(None, None, m.Grain.month, calendar) == []


def _revenue(actual: float, target: Target) -> KpiInput:
    return KpiInput(
        accumulation="flow",
        direction="higher" if target.kind != "at_most" else "lower",
        period_start=Q3[0],
        period_end=Q3[1],
        as_of=D(1998, 8, 15),  # share 0.5
        actual=actual,
        history=(9.0, 11.0) * 5,
        target=target,
    )


@pytest.mark.parametrize(
    ("actual", "target", "pace"),
    [
        (500.0, Target.at_least(1000.0), 1.0),  # 500 of 500 due: on track
        (450.0, Target.at_least(1000.0), 0.5),  # 0.9: at risk
        (449.0, Target.at_least(1000.0), 0.0),  # 0.898: off track
        (400.0, Target.at_most(920.0), 1.0),  # 460 / 400 = 1.15
        (500.0, Target.at_most(920.0), 0.5),  # 460 / 500 = 0.92
        (600.0, Target.between(900.0, 1100.0), 0.5),  # 550 / 600 = 0.917
        (300.0, Target.between(900.0, 1100.0), 0.0),  # 300 / 450 = 0.667
    ],
)
def test_the_pace_baseline_maps_the_status_by_attainment(actual: float, target: Target, pace: float) -> None:
    assert pace_probability(evaluate(_revenue(actual, target))) == pace


def test_no_pace_without_a_target() -> None:
    inp = _revenue(500.0, Target.at_least(1000.0))
    assert pace_probability(evaluate(dataclasses.replace(inp, target=None))) is None


def test_a_replay_keeps_the_forecast_and_whether_the_target_was_met() -> None:
    e = evaluate(_revenue(450.0, Target.at_least(1000.0)))  # forecast 450 + 46 x 10 = 910
    r = replay("revenue", "", e, 1005.0)
    assert (r.period_start, r.as_of, r.final, r.pace, r.met, r.known) == (
        Q3[0],
        D(1998, 8, 15),
        1005.0,
        0.5,
        True,
        False,
    )
    assert r.forecast == pytest.approx(910.0)
    assert r.covered is False  # 1,005 is far above the interval around 910


def _r(final: float, forecast: float, low: float, high: float, probability: float | None, pace: float | None,
       met: bool | None, known: bool = False) -> Replay:  # fmt: skip
    return Replay("k", "", Q3[0], Q3[1], D(1998, 8, 15), final, forecast, low, high, probability, pace, met, known)


def test_scores_by_hand() -> None:
    replays = [
        # covered; Brier (0.7 - 1)^2 = 0.09, pace (1 - 1)^2 = 0; error |90 - 100| / 100 = 0.1
        _r(100.0, 90.0, 80.0, 110.0, 0.7, 1.0, True),
        # not covered (100 < 105); Brier (0.9 - 0)^2 = 0.81, pace (0.5 - 0)^2 = 0.25; error 0.2
        _r(100.0, 120.0, 105.0, 130.0, 0.9, 0.5, False),
        # covered; no target: not in the Brier scores; a final of 0 has no percentage error
        _r(0.0, 5.0, -1.0, 10.0, None, None, None),
        # the final value was known (nothing more due): counted apart, scored in nothing
        _r(50.0, 50.0, 50.0, 50.0, 1.0, 1.0, True, known=True),
    ]
    s = score(replays)
    assert (s.replays, s.known, s.intervals, s.covered, s.judged) == (4, 1, 3, 2, 2)
    assert s.coverage == pytest.approx(2 / 3)
    assert s.brier == pytest.approx((0.09 + 0.81) / 2)  # 0.45
    assert s.baseline_brier == pytest.approx((0.0 + 0.25) / 2)  # 0.125
    assert s.point_error == pytest.approx((0.1 + 0.2) / 2)  # 0.15


def test_an_empty_score() -> None:
    s = score([])
    assert (s.replays, s.intervals, s.coverage, s.brier, s.baseline_brier, s.point_error) == (
        0,
        0,
        None,
        None,
        None,
        None,
    )

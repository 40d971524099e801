"""evaluate(): whole KPIs worked by hand, the way docs/kpi-evaluation.md tells them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from onpace.errors import UserError
from onpace.kpi.evaluate import Evaluation, KpiInput, evaluate
from onpace.kpi.phasing import Phasing
from onpace.kpi.targets import resolve_target
from onpace.kpi.types import Bands, Status, Target, TargetSpec

Q3_START, Q3_END = dt.date(1998, 7, 1), dt.date(1998, 9, 30)  # 92 days
MID_AUGUST = dt.date(1998, 8, 15)  # day 46 of 92: linear share 0.5
QUARTER_TARGET = Target.at_least(1000.0)


def revenue(actual: float | None, target: Target | None = QUARTER_TARGET, **changes: object) -> KpiInput:
    """A flow KPI for Q3 1998 as of August 15, with a short history (the run-rate forecast)."""
    base = KpiInput(
        accumulation="flow",
        direction="higher",
        period_start=Q3_START,
        period_end=Q3_END,
        as_of=MID_AUGUST,
        actual=actual,
        history=(9.0, 11.0) * 5,
        target=target,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("actual", "attainment", "expected_status"),
    [
        (500.0, 1.0, Status.on_track),  # 500 / (1000 * 46 / 92 = 500) = 1.0: the on_track edge
        (450.0, 0.9, Status.at_risk),  # 450 / 500 = 0.9: the at_risk edge
        (449.0, 0.898, Status.off_track),
        (650.0, 1.3, Status.on_track),
    ],
)
def test_flow_at_least_with_linear_phasing(actual: float, attainment: float, expected_status: Status) -> None:
    e = evaluate(revenue(actual))
    assert (e.elapsed_days, e.total_days, e.share) == (46, 92, 0.5)
    assert e.expected_to_date == 500.0
    assert e.attainment == pytest.approx(attainment, rel=1e-12)
    # the status by pace; the verdict also weighs the forecast (tests/kpi/test_verdict.py)
    assert e.pace_status == expected_status
    assert e.phasing_used == "linear"
    # run rate of 10 a day for the 46 remaining days: actual + 460
    assert e.forecast == pytest.approx(actual + 460.0)
    assert e.forecast_method == "run_rate"


def test_the_evaluation_carries_everything_to_show() -> None:
    e = evaluate(revenue(450.0))
    assert isinstance(e, Evaluation)
    assert (e.target_kind, e.target, e.target_low, e.target_high) == ("at_least", 1000.0, None, None)
    assert (e.period_start, e.period_end, e.as_of) == (Q3_START, Q3_END, MID_AUGUST)
    # 450 + 460 = 910 expected at the end, against 1000 with a spread of about ±7: almost no chance
    assert e.probability == pytest.approx(0.0, abs=1e-6)
    assert e.forecast_low is not None and e.forecast_high is not None
    assert e.forecast_low < 910.0 < e.forecast_high
    assert e.notes == ("forecast: only 10 days of history (ETS needs 14): forecast from the run rate",)


def test_lower_is_better_budget() -> None:
    # at most 920 over the quarter; by mid-August 920 * 0.5 = 460 is the phased budget
    budget = Target.at_most(920.0)

    def run(actual: float) -> Evaluation:
        return evaluate(revenue(actual, budget, direction="lower"))

    assert run(400.0).attainment == pytest.approx(460 / 400)  # 1.15: on track
    assert run(400.0).status == Status.on_track
    assert run(500.0).attainment == pytest.approx(0.92)  # 460 / 500: at risk
    assert run(500.0).pace_status == Status.at_risk
    assert run(600.0).status == Status.off_track  # 460 / 600 = 0.767
    nothing_spent = run(0.0)
    assert nothing_spent.attainment is None and nothing_spent.status == Status.on_track


def test_a_flow_range_is_phased_at_both_ends() -> None:
    # between 900 and 1100 over the quarter: [450, 550] by mid-August
    target = Target.between(900.0, 1100.0)
    inside = evaluate(revenue(500.0, target))
    assert (inside.expected_low, inside.expected_high, inside.expected_to_date) == (450.0, 550.0, None)
    assert inside.attainment == 1.0 and inside.status == Status.on_track
    above = evaluate(revenue(600.0, target))
    assert above.attainment == pytest.approx(550 / 600)  # 0.9167: at risk
    assert above.pace_status == Status.at_risk
    below = evaluate(revenue(300.0, target))
    assert below.attainment == pytest.approx(300 / 450)  # 0.667: off track
    assert below.status == Status.off_track


def on_time_rate(actual: float | None, **changes: object) -> KpiInput:
    """A level KPI: the on-time delivery rate must stay between 90% and 95%."""
    return revenue(
        actual,
        Target.between(0.9, 0.95),
        accumulation="level",
        history=(0.92, 0.94) * 3,
        **changes,
    )


@pytest.mark.parametrize(
    ("actual", "attainment", "expected_status"),
    [
        (0.92, 1.0, Status.on_track),  # inside
        (0.85, 0.85 / 0.9, Status.at_risk),  # below: 0.944
        (0.99, 0.95 / 0.99, Status.at_risk),  # above: 0.960
        (0.70, 0.70 / 0.9, Status.off_track),  # 0.778
    ],
)
def test_level_range_is_not_phased(actual: float, attainment: float, expected_status: Status) -> None:
    e = evaluate(on_time_rate(actual))
    assert e.share is None and e.phasing_used == "none"
    assert (e.expected_low, e.expected_high) == (0.9, 0.95)
    assert e.attainment == pytest.approx(attainment, rel=1e-12)
    # the status by pace; the verdict also weighs the forecast (tests/kpi/test_verdict.py)
    assert e.pace_status == expected_status


def test_level_forecast_is_a_day_weighted_average() -> None:
    # 46 days at 0.85, then 46 days at the run rate of 0.93: (0.85 * 46 + 0.93 * 46) / 92 = 0.89
    e = evaluate(on_time_rate(0.85))
    assert e.forecast == pytest.approx(0.89)


def test_phasing_does_not_apply_to_a_level() -> None:
    e = evaluate(on_time_rate(0.92, phasing=Phasing("seasonal", past=((1.0,) * 92,))))
    assert e.phasing_used == "none"
    assert "seasonal phasing does not apply to a level KPI: its target holds all period" in e.notes


def test_seasonal_phasing() -> None:
    # last year's Q3: 46 days of 1 then 46 days of 3 (total 46 + 138 = 184);
    # as of day 46 of 92 the curve is at 46 / 184 = 0.25, so 1000 * 0.25 = 250 is due
    past = ((1.0,) * 46 + (3.0,) * 46,)
    e = evaluate(revenue(240.0, phasing=Phasing("seasonal", past=past)))
    assert e.phasing_used == "seasonal"
    assert e.share == pytest.approx(0.25)
    assert e.expected_to_date == pytest.approx(250.0)
    assert e.attainment == pytest.approx(0.96)  # 240 / 250: at risk
    assert e.pace_status == Status.at_risk


def test_seasonal_phasing_without_past_data_falls_back_to_linear() -> None:
    e = evaluate(revenue(500.0, phasing=Phasing("seasonal", past=((0.0,) * 92,))))
    assert e.phasing_used == "linear" and e.share == 0.5
    assert "seasonal phasing fell back to linear: no earlier periods with data" in e.notes


def test_milestone_phasing() -> None:
    # 20% by July 31 (day 31), 50% by August 31 (day 62); day 46 is 0.2 + 0.3 * 15 / 31 = 0.345161
    phasing = Phasing("milestones", milestones=((dt.date(1998, 7, 31), 0.2), (dt.date(1998, 8, 31), 0.5)))
    e = evaluate(revenue(345.0, phasing=phasing))
    assert e.phasing_used == "milestones"
    assert e.share == pytest.approx(0.2 + 0.3 * 15 / 31)
    assert e.expected_to_date == pytest.approx(345.161290, rel=1e-6)
    assert e.pace_status == Status.at_risk  # 345 / 345.16 = 0.9995


def test_bad_milestones_are_reported_by_evaluate() -> None:
    phasing = Phasing("milestones", milestones=((dt.date(1998, 10, 31), 0.2),))
    with pytest.raises(UserError, match=re.escape("milestone 1998-10-31 is outside the period 1998-07-01..1998-09-30")):
        evaluate(revenue(1.0, phasing=phasing))


def test_fiscal_quarter() -> None:
    # fiscal Q1 starting in April: 1998-04-01..1998-06-30 = 30 + 31 + 30 = 91 days;
    # as of May 15: 30 + 15 = 45 days -> 910 * 45 / 91 = 450 due
    fiscal_q1 = revenue(
        450.0,
        Target.at_least(910.0),
        period_start=dt.date(1998, 4, 1),
        period_end=dt.date(1998, 6, 30),
        as_of=dt.date(1998, 5, 15),
    )
    e = evaluate(fiscal_q1)
    assert (e.elapsed_days, e.total_days) == (45, 91)
    assert e.expected_to_date == pytest.approx(450.0)
    assert e.status == Status.on_track


def test_leap_february() -> None:
    # Feb 2024 has 29 days: as of Feb 15, 15 / 29 of 2900 = 1500 is due
    feb = revenue(
        1500.0,
        Target.at_least(2900.0),
        period_start=dt.date(2024, 2, 1),
        period_end=dt.date(2024, 2, 29),
        as_of=dt.date(2024, 2, 15),
    )
    e = evaluate(feb)
    assert e.share == pytest.approx(15 / 29)
    assert e.expected_to_date == pytest.approx(1500.0)
    assert e.pace_status == Status.on_track
    # seasonal from a 28-day February: 14 days of 1, 14 days of 3 (total 56);
    # x = 15 / 29 * 28 = 14 + 14 / 29 -> (14 + 3 * 14 / 29) / 56 = 8 / 29; 2900 * 8 / 29 = 800 due
    seasonal = evaluate(dataclasses.replace(feb, phasing=Phasing("seasonal", past=((1.0,) * 14 + (3.0,) * 14,))))
    assert seasonal.share == pytest.approx(8 / 29)
    assert seasonal.expected_to_date == pytest.approx(800.0)


@pytest.mark.parametrize(
    ("as_of", "actual", "expected_status", "probability"),
    [
        (Q3_END, 1000.0, Status.achieved, 1.0),
        (Q3_END, 999.0, Status.missed, 0.0),
        (dt.date(1998, 10, 5), 1000.0, Status.achieved, 1.0),  # after the end: clamped, the period is over
        (dt.date(1998, 10, 5), 999.0, Status.missed, 0.0),
    ],
)
def test_after_the_period_the_target_is_achieved_or_missed(
    as_of: dt.date, actual: float, expected_status: Status, probability: float
) -> None:
    e = evaluate(revenue(actual, as_of=as_of))
    assert (e.elapsed_days, e.share, e.expected_to_date) == (92, 1.0, 1000.0)
    assert e.status == expected_status
    assert (e.forecast, e.forecast_low, e.forecast_high) == (actual, actual, actual)
    assert e.probability == probability and e.forecast_method == "actual"


def test_a_range_after_the_period() -> None:
    assert evaluate(on_time_rate(0.93, as_of=Q3_END)).status == Status.achieved
    assert evaluate(on_time_rate(0.96, as_of=Q3_END)).status == Status.missed


def test_before_the_period_starts() -> None:
    # as of June 20, nothing of Q3 has elapsed: nothing is due, and all 92 days are still to come
    e = evaluate(revenue(0.0, as_of=dt.date(1998, 6, 20)))
    assert (e.elapsed_days, e.share, e.expected_to_date) == (0, 0.0, 0.0)
    assert e.pace_status == Status.on_track
    assert e.forecast == pytest.approx(920.0)  # 10 a day for 92 days (after 10 gap days)
    assert e.notes[0] == "the period has not started: it starts on 1998-07-01"


def test_no_data() -> None:
    e = evaluate(revenue(None))
    assert e.status == Status.no_data
    assert e.attainment is None and e.forecast is None and e.probability is None
    assert e.expected_to_date == 500.0  # still shown: what should have been reached
    assert e.notes == ("no data for the period so far",)


def test_no_target() -> None:
    e = evaluate(revenue(500.0, None))
    assert e.status == Status.no_data
    assert e.notes[0] == "no target (no baseline)"
    assert (e.target, e.expected_to_date, e.attainment, e.probability) == (None, None, None, None)
    assert e.forecast == pytest.approx(960.0)  # the forecast is still shown


def test_zero_baseline() -> None:
    # +20% vs a quarter with no revenue: 0 * 1.2 = 0, so anything at or above 0 is on track
    target = resolve_target(TargetSpec.relative(0.2, "same_period_last_year"), "higher", 0.0)
    assert target == Target.at_least(0.0)
    e = evaluate(revenue(0.0, target))
    assert e.expected_to_date == 0.0 and e.attainment is None
    assert e.status == Status.on_track
    assert evaluate(revenue(0.0, target, as_of=Q3_END)).status == Status.achieved


def test_a_direction_that_contradicts_the_target_is_noted() -> None:
    e = evaluate(revenue(500.0, direction="lower"))
    assert e.pace_status == Status.on_track
    assert any("the target is at_least but lower is better" in note for note in e.notes)


def test_custom_bands() -> None:
    e = evaluate(revenue(400.0, bands=Bands(on_track=0.95, at_risk=0.8)))
    assert e.attainment == 0.8 and e.pace_status == Status.at_risk


def test_bad_input_is_a_user_error() -> None:
    with pytest.raises(UserError, match="accumulation must be flow or level, got 'stock'"):
        revenue(1.0, accumulation="stock")


def test_an_unknown_phasing_is_a_user_error() -> None:
    with pytest.raises(UserError, match="phasing must be linear, seasonal or milestones, got 'weekly'"):
        Phasing("weekly")  # type: ignore[arg-type]

"""Targets: validation, relative targets against a baseline, and dated schedules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from onpace.errors import UserError
from onpace.kpi.targets import effective_entry, phase_target, resolve_target
from onpace.kpi.types import Bands, Direction, Target, TargetSpec


def test_absolute_targets_resolve_as_they_are() -> None:
    spec = TargetSpec("at_least", value=1000.0)
    assert resolve_target(spec, "higher", baseline=None) == Target.at_least(1000.0)
    assert resolve_target(TargetSpec.absolute(Target.between(0.9, 0.95)), "higher", 123.0) == Target.between(0.9, 0.95)


@pytest.mark.parametrize(
    ("change", "direction", "baseline", "expected"),
    [
        # +20% vs 1000 last year, higher is better: at least 1000 * 1.2 = 1200
        (0.2, "higher", 1000.0, Target.at_least(1200.0)),
        # -5% vs 200, lower is better: at most 200 * 0.95 = 190
        (-0.05, "lower", 200.0, Target.at_most(190.0)),
        # a zero baseline gives 0 whatever the change: at least 0
        (0.2, "higher", 0.0, Target.at_least(0.0)),
        (-0.1, "lower", 0.0, Target.at_most(0.0)),
        # a negative baseline moves by its size: -100 + 100 * 0.2 = -80 (better by 20%)
        (0.2, "higher", -100.0, Target.at_least(-80.0)),
        # -100 + 100 * (-0.1) = -110, lower is better: at most -110
        (-0.1, "lower", -100.0, Target.at_most(-110.0)),
    ],
)
def test_relative_targets(change: float, direction: Direction, baseline: float, expected: Target) -> None:
    spec = TargetSpec.relative(change, "same_period_last_year")
    resolved = resolve_target(spec, direction, baseline)
    assert resolved is not None
    assert resolved.kind == expected.kind
    assert resolved.value == pytest.approx(expected.value, rel=1e-12)


def test_a_relative_target_without_baseline_is_none() -> None:
    assert resolve_target(TargetSpec.relative(0.2, "previous_period"), "higher", None) is None


def test_phasing_a_target_scales_every_bound() -> None:
    assert phase_target(Target.at_least(1000.0), 0.5) == Target.at_least(500.0)
    assert phase_target(Target.between(900.0, 1100.0), 0.5) == Target.between(450.0, 550.0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Target("between", low=5.0, high=1.0), r"low \(5.0\) is above high \(1.0\)"),
        (lambda: Target("at_least"), "an 'at_least' target needs a value"),
        (lambda: Target("at_most", value=1.0, low=0.0), "takes a value, not low/high"),
        (lambda: Target("between", value=1.0, low=0.0, high=2.0), "takes low and high, not value"),
        (lambda: Target.at_least(float("nan")), "value must be a finite number"),
        (lambda: TargetSpec("change", change=0.2), "vs must be same_period_last_year, previous_period or a date"),
        (lambda: TargetSpec("change", vs="previous_period"), "needs change"),
        (lambda: TargetSpec("at_least", value=1.0, change=0.2), "belong to a 'change' target"),
        (lambda: Bands(on_track=0.9, at_risk=1.0), "expected 0 < at_risk <= on_track"),
        (lambda: Bands(at_risk=0.0), "expected 0 < at_risk <= on_track"),
    ],
)
def test_bad_targets_and_bands_are_user_errors(build: Callable[[], object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        build()


def test_validation_reports_every_problem_at_once() -> None:
    with pytest.raises(UserError) as info:
        TargetSpec("between", value=3.0, low=None, high=2.0, vs="previous_period")
    assert str(info.value) == (
        "invalid target: a 'between' target needs both low and high; "
        "a 'between' target takes low and high, not value; "
        "change and vs belong to a 'change' target, not to 'between'"
    )


SCHEDULE = [
    (None, "from the beginning"),
    (dt.date(1998, 1, 1), "from 1998"),
    (dt.date(1999, 1, 1), "from 1999"),
]


@pytest.mark.parametrize(
    ("period_start", "expected"),
    [
        (dt.date(1997, 7, 1), "from the beginning"),
        (dt.date(1998, 1, 1), "from 1998"),  # effective on the period start itself
        (dt.date(1998, 7, 1), "from 1998"),
        (dt.date(2005, 1, 1), "from 1999"),
    ],
)
def test_effective_entry_takes_the_latest_one_on_or_before_the_period_start(
    period_start: dt.date, expected: str
) -> None:
    assert effective_entry(SCHEDULE, period_start) == expected
    assert effective_entry(list(reversed(SCHEDULE)), period_start) == expected


def test_effective_entry_is_none_before_the_first_date() -> None:
    assert effective_entry(SCHEDULE[1:], dt.date(1997, 12, 31)) is None
    assert effective_entry([], dt.date(1997, 12, 31)) is None


def test_effective_entry_rejects_two_entries_on_one_date() -> None:
    with pytest.raises(UserError, match="two target schedule entries have the effective date 1998-01-01"):
        effective_entry([(dt.date(1998, 1, 1), 1), (dt.date(1998, 1, 1), 2)], dt.date(1998, 7, 1))

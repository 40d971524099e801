"""Attainment, ranges and status bands, by hand and as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onpace.kpi.status import attainment, meets, range_attainment, status
from onpace.kpi.types import Bands, Direction, Status, Target


@pytest.mark.parametrize(
    ("actual", "expected", "direction", "result"),
    [
        (450.0, 500.0, "higher", 0.9),  # 450 / 500
        (600.0, 500.0, "higher", 1.2),  # 600 / 500
        (-50.0, 500.0, "higher", -0.1),  # a negative actual is off track
        (10.0, 0.0, "higher", None),  # nothing expected yet: compare directly
        (10.0, -5.0, "higher", None),
        (400.0, 460.0, "lower", 1.15),  # 460 / 400
        (500.0, 460.0, "lower", 0.92),  # 460 / 500
        (0.0, 460.0, "lower", None),  # nothing spent: perfect, compared directly
        (-3.0, 460.0, "lower", None),
        (10.0, -5.0, "lower", None),
    ],
)
def test_attainment_by_hand(actual: float, expected: float, direction: Direction, result: float | None) -> None:
    got = attainment(actual, expected, direction)
    assert got == (None if result is None else pytest.approx(result, rel=1e-12))


@pytest.mark.parametrize(
    ("actual", "low", "high", "result"),
    [
        (0.92, 0.9, 0.95, 1.0),  # inside
        (0.9, 0.9, 0.95, 1.0),  # the edges are inside
        (0.95, 0.9, 0.95, 1.0),
        (0.85, 0.9, 0.95, 0.85 / 0.9),  # below: actual / low = 0.944…
        (0.99, 0.9, 0.95, 0.95 / 0.99),  # above: high / actual = 0.959…
        (-1.0, 0.0, 5.0, None),  # below a range starting at 0: no ratio
        (-1.0, -10.0, -5.0, None),  # above a negative range: no ratio
    ],
)
def test_range_attainment_by_hand(actual: float, low: float, high: float, result: float | None) -> None:
    got = range_attainment(actual, low, high)
    assert got == (None if result is None else pytest.approx(result, rel=1e-12))


def test_meets() -> None:
    assert meets(10.0, Target.at_least(10.0)) and not meets(9.99, Target.at_least(10.0))
    assert meets(10.0, Target.at_most(10.0)) and not meets(10.01, Target.at_most(10.0))
    assert meets(1.0, Target.between(1.0, 2.0)) and meets(2.0, Target.between(1.0, 2.0))
    assert not meets(2.01, Target.between(1.0, 2.0)) and not meets(0.99, Target.between(1.0, 2.0))


TARGET = Target.at_least(1000.0)
HALF = Target.at_least(500.0)  # the target phased to the middle of the period


@pytest.mark.parametrize(
    ("actual", "expected_status"),
    [
        (500.0, Status.on_track),  # 500 / 500 = 1.0: exactly on the on_track edge
        (450.0, Status.at_risk),  # 450 / 500 = 0.9: exactly on the at_risk edge
        (449.0, Status.off_track),  # 0.898
        (None, Status.no_data),
    ],
)
def test_status_band_edges(actual: float | None, expected_status: Status) -> None:
    assert status(actual, TARGET, HALF, period_over=False) == expected_status


def test_custom_bands() -> None:
    bands = Bands(on_track=0.95, at_risk=0.8)
    assert status(475.0, TARGET, HALF, period_over=False, bands=bands) == Status.on_track  # 0.95
    assert status(400.0, TARGET, HALF, period_over=False, bands=bands) == Status.at_risk  # 0.8
    assert status(399.0, TARGET, HALF, period_over=False, bands=bands) == Status.off_track


def test_status_after_the_period_compares_with_the_full_target() -> None:
    assert status(1000.0, TARGET, TARGET, period_over=True) == Status.achieved
    assert status(999.0, TARGET, TARGET, period_over=True) == Status.missed
    assert status(None, TARGET, TARGET, period_over=True) == Status.no_data


def test_status_without_a_ratio_compares_directly() -> None:
    nothing_due = Target.at_least(0.0)
    assert status(0.0, TARGET, nothing_due, period_over=False) == Status.on_track
    assert status(-1.0, TARGET, nothing_due, period_over=False) == Status.off_track
    budget, half_budget = Target.at_most(920.0), Target.at_most(460.0)
    assert status(0.0, budget, half_budget, period_over=False) == Status.on_track  # nothing spent


positive = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(actual=positive, expected=positive)
def test_higher_and_lower_attainment_are_reciprocal(actual: float, expected: float) -> None:
    higher = attainment(actual, expected, "higher")
    lower = attainment(actual, expected, "lower")
    assert higher is not None and lower is not None
    assert higher * lower == pytest.approx(1.0, rel=1e-12)


@given(actual=st.floats(-1e9, 1e9), low=st.floats(-1e9, 1e9), width=st.floats(0, 1e9))
def test_range_attainment_is_1_exactly_inside(actual: float, low: float, width: float) -> None:
    high = low + width
    got = range_attainment(actual, low, high)
    if low <= actual <= high:
        assert got == 1.0
    else:
        assert got is None or got < 1.0

"""Periods and phasing: hand-computed shares, and the properties every phasing keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onpace.calendar import elapsed_days, remaining_days, total_days
from onpace.errors import UserError
from onpace.kpi.phasing import linear_share, milestone_problems, milestone_share, seasonal_share

Q3_1998 = (dt.date(1998, 7, 1), dt.date(1998, 9, 30))
FEB_2024 = (dt.date(2024, 2, 1), dt.date(2024, 2, 29))


# ------------------------------------------------------------------ periods


def test_days_are_counted_inclusively() -> None:
    # Q3 1998: July 31 + August 31 + September 30 = 92 days
    assert total_days(*Q3_1998) == 92
    # as of the first day, that day's data is in: 1 day elapsed
    assert elapsed_days(*Q3_1998, dt.date(1998, 7, 1)) == 1
    # July 31 + August 1..15 = 46 days elapsed, 92 - 46 = 46 remain
    assert elapsed_days(*Q3_1998, dt.date(1998, 8, 15)) == 46
    assert remaining_days(*Q3_1998, dt.date(1998, 8, 15)) == 46
    # before the start nothing, on and after the end everything
    assert elapsed_days(*Q3_1998, dt.date(1998, 6, 30)) == 0
    assert elapsed_days(*Q3_1998, dt.date(1998, 9, 30)) == 92
    assert elapsed_days(*Q3_1998, dt.date(1999, 1, 1)) == 92


def test_a_period_that_ends_before_it_starts_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"ends \(1998-06-30\) before it starts \(1998-07-01\)"):
        total_days(dt.date(1998, 7, 1), dt.date(1998, 6, 30))


# ------------------------------------------------------------------ linear


@pytest.mark.parametrize(
    ("start", "end", "as_of", "expected"),
    [
        # Q3 1998 = 92 days, as of Aug 15: 46 days elapsed -> 46 / 92 = 0.5
        (*Q3_1998, dt.date(1998, 8, 15), 0.5),
        # first day: 1 / 92
        (*Q3_1998, dt.date(1998, 7, 1), 1 / 92),
        (*Q3_1998, dt.date(1998, 6, 30), 0.0),
        (*Q3_1998, dt.date(1998, 9, 30), 1.0),
        (*Q3_1998, dt.date(1998, 12, 31), 1.0),
        # fiscal Q1 starting in April: Apr 30 + May 31 + Jun 30 = 91 days;
        # as of May 15: 30 + 15 = 45 days -> 45 / 91
        (dt.date(1998, 4, 1), dt.date(1998, 6, 30), dt.date(1998, 5, 15), 45 / 91),
        # leap February: 29 days, as of Feb 15 -> 15 / 29
        (*FEB_2024, dt.date(2024, 2, 15), 15 / 29),
        # the same date in a 28-day February -> 15 / 28
        (dt.date(2023, 2, 1), dt.date(2023, 2, 28), dt.date(2023, 2, 15), 15 / 28),
    ],
)
def test_linear_share_by_hand(start: dt.date, end: dt.date, as_of: dt.date, expected: float) -> None:
    assert linear_share(start, end, as_of) == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------ seasonal


def test_seasonal_share_from_two_past_periods() -> None:
    # a 4-day period, as of day 2: f = 2 / 4 = 0.5
    start, end, as_of = dt.date(2024, 1, 1), dt.date(2024, 1, 4), dt.date(2024, 1, 2)
    # past A = [1, 1, 1, 1]: x = 0.5 * 4 = 2 -> c(2) = 2 / 4 = 0.5
    # past B = [1, 2, 3, 4]: x = 2 -> c(2) = (1 + 2) / 10 = 0.3
    # mean = (0.5 + 0.3) / 2 = 0.4
    past = [[1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0]]
    assert seasonal_share(past, start, end, as_of) == pytest.approx(0.4, rel=1e-12)


def test_seasonal_share_interpolates_and_maps_different_lengths() -> None:
    # 4-day period as of day 1: f = 1 / 4
    start, end, as_of = dt.date(2024, 1, 1), dt.date(2024, 1, 4), dt.date(2024, 1, 1)
    # past of 6 days [1, 1, 1, 1, 1, 3], total 8: x = 6 / 4 = 1.5
    # c(1) = 1 / 8, c(2) = 2 / 8 -> halfway: 1.5 / 8 = 0.1875
    assert seasonal_share([[1.0, 1.0, 1.0, 1.0, 1.0, 3.0]], start, end, as_of) == pytest.approx(0.1875, rel=1e-12)


def test_seasonal_share_maps_a_leap_february_onto_28_day_ones() -> None:
    # Feb 2024 has 29 days; as of Feb 15: f = 15 / 29.
    # In a 28-day February: x = 15 / 29 * 28 = 420 / 29 = 14 + 14 / 29.
    # Feb 2023: 14 days of 1.0 then 14 days of 3.0, total 14 + 42 = 56;
    #   c(14) = 14 / 56, plus 14 / 29 of day 15 (3.0): (14 + 3 * 14 / 29) / 56 = (448 / 29) / 56 = 8 / 29
    # Feb 2022: every day 2.0 -> c(x) = x / 28 = 15 / 29
    # Feb 2021: all zero -> total 0, not usable, left out of the mean
    # mean = (8 / 29 + 15 / 29) / 2 = 23 / 58
    feb_2023 = [1.0] * 14 + [3.0] * 14
    feb_2022 = [2.0] * 28
    feb_2021 = [0.0] * 28
    share = seasonal_share([feb_2023, feb_2022, feb_2021], *FEB_2024, dt.date(2024, 2, 15))
    assert share == pytest.approx(23 / 58, rel=1e-12)


def test_seasonal_share_is_none_without_a_usable_past_period() -> None:
    assert seasonal_share([], *Q3_1998, dt.date(1998, 8, 15)) is None
    assert seasonal_share([[], [0.0] * 92, [-1.0] * 92], *Q3_1998, dt.date(1998, 8, 15)) is None


# ------------------------------------------------------------------ milestones

# Q3 1998: July 31 is day 31, August 31 is day 62, the period has 92 days.
MILESTONES = ((dt.date(1998, 7, 31), 0.2), (dt.date(1998, 8, 31), 0.5))


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(1998, 6, 1), 0.0),
        # day 10 on the line (0, 0) -> (31, 0.2): 0.2 * 10 / 31
        (dt.date(1998, 7, 10), 0.2 * 10 / 31),
        (dt.date(1998, 7, 31), 0.2),
        # day 46 between (31, 0.2) and (62, 0.5): 0.2 + 0.3 * 15 / 31
        (dt.date(1998, 8, 15), 0.2 + 0.3 * 15 / 31),
        # day 77 between (62, 0.5) and (92, 1): 0.5 + 0.5 * 15 / 30 = 0.75
        (dt.date(1998, 9, 15), 0.75),
        (dt.date(1998, 9, 30), 1.0),
    ],
)
def test_milestone_share_by_hand(as_of: dt.date, expected: float) -> None:
    assert milestone_share(*Q3_1998, as_of, MILESTONES) == pytest.approx(expected, rel=1e-12)


def test_a_milestone_on_the_last_day_must_be_the_whole_target() -> None:
    assert milestone_share(*Q3_1998, dt.date(1998, 9, 15), [(dt.date(1998, 8, 31), 0.5), (Q3_1998[1], 1.0)]) == 0.75
    with pytest.raises(UserError, match="last day of the period, so its share must be 1"):
        milestone_share(*Q3_1998, dt.date(1998, 9, 15), [(Q3_1998[1], 0.9)])


def test_bad_milestones_are_all_reported() -> None:
    bad = [
        (dt.date(1998, 6, 30), 0.1),  # before the period
        (dt.date(1998, 8, 31), 1.5),  # share above 1
        (dt.date(1998, 8, 1), 0.3),  # earlier than the one before, and a lower share
    ]
    problems = milestone_problems(*Q3_1998, bad)
    assert problems == [
        "milestone 1998-06-30 is outside the period 1998-07-01..1998-09-30",
        "milestone 1998-08-31 has share 1.5; expected a fraction between 0 and 1",
        "milestone 1998-08-01 does not come after 1998-08-31; list milestones by date",
        "milestone 1998-08-01 has share 0.3, below the 1.5 of 1998-08-31",
    ]
    with pytest.raises(UserError, match="invalid milestones: milestone 1998-06-30 is outside"):
        milestone_share(*Q3_1998, dt.date(1998, 8, 15), bad)


def test_milestones_on_the_same_date_are_rejected() -> None:
    same = [(dt.date(1998, 8, 1), 0.3), (dt.date(1998, 8, 1), 0.4)]
    assert milestone_problems(*Q3_1998, same) == [
        "milestone 1998-08-01 does not come after 1998-08-01; list milestones by date"
    ]


# ------------------------------------------------------------------ properties

starts = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31))
lengths = st.integers(min_value=1, max_value=400)
offsets = st.integers(min_value=-30, max_value=430)
past_periods = st.lists(
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=0, max_size=40), max_size=4
)


@st.composite
def milestone_lists(draw: st.DrawFn, start: dt.date, days: int) -> list[tuple[dt.date, float]]:
    picked = sorted(draw(st.sets(st.integers(0, days - 1), max_size=5)))
    shares = sorted(draw(st.lists(st.floats(0, 1), min_size=len(picked), max_size=len(picked))))
    milestones = [(start + dt.timedelta(days=k), s) for k, s in zip(picked, shares, strict=True)]
    if milestones and picked[-1] == days - 1:
        milestones[-1] = (milestones[-1][0], 1.0)  # the last day carries the whole target
    return milestones


def _all_shares(
    start: dt.date, end: dt.date, as_of: dt.date, past: list[list[float]], milestones: list[tuple[dt.date, float]]
) -> list[float]:
    shares = [linear_share(start, end, as_of), milestone_share(start, end, as_of, milestones)]
    seasonal = seasonal_share(past, start, end, as_of)
    if seasonal is not None:
        shares.append(seasonal)
    return shares


@given(data=st.data(), start=starts, days=lengths, a=offsets, b=offsets, past=past_periods)
def test_shares_are_fractions_that_never_go_down(
    data: st.DataObject, start: dt.date, days: int, a: int, b: int, past: list[list[float]]
) -> None:
    end = start + dt.timedelta(days=days - 1)
    milestones = data.draw(milestone_lists(start, days))
    early, late = start + dt.timedelta(days=min(a, b)), start + dt.timedelta(days=max(a, b))
    for before, after in zip(
        _all_shares(start, end, early, past, milestones), _all_shares(start, end, late, past, milestones), strict=True
    ):
        assert 0.0 <= before <= after <= 1.0


@given(data=st.data(), start=starts, days=lengths, past=past_periods)
def test_shares_are_0_before_the_start_and_1_at_the_end(
    data: st.DataObject, start: dt.date, days: int, past: list[list[float]]
) -> None:
    end = start + dt.timedelta(days=days - 1)
    milestones = data.draw(milestone_lists(start, days))
    assert set(_all_shares(start, end, start - dt.timedelta(days=1), past, milestones)) == {0.0}
    assert set(_all_shares(start, end, end, past, milestones)) == {1.0}
    assert set(_all_shares(start, end, end + dt.timedelta(days=5), past, milestones)) == {1.0}

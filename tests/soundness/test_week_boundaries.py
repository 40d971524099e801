"""Weeks: ISO weeks start on Monday and run across the year boundary unbroken.

A week number within the calendar year (or a Sunday start by mistake) splits
or shifts the weeks around New Year. Each day carries a distinct power of two,
so every sum tells which days were put together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onpace.engine import partial_periods

from .helpers import MakeProject, SoundProject, assert_table, d

EVENTS: list[dict[str, Any]] = [
    {"day": d("2022-12-25"), "amount": 1},  # Sunday
    {"day": d("2022-12-26"), "amount": 2},  # Monday
    {"day": d("2023-01-01"), "amount": 4},  # Sunday
    {"day": d("2023-01-02"), "amount": 8},  # Monday
    {"day": d("2024-12-29"), "amount": 16},  # Sunday
    {"day": d("2024-12-30"), "amount": 32},  # Monday
    {"day": d("2025-01-01"), "amount": 64},  # Wednesday
    {"day": d("2025-01-05"), "amount": 128},  # Sunday
    {"day": d("2025-01-06"), "amount": 256},  # Monday
]

MODELS = """
datasets:
  - name: events
    table: events
    time: day
    dimensions:
      - {name: day, column: day, type: time}
    measures:
      - {name: amount, agg: sum, expr: amount}
      - {name: events, agg: count}
metrics:
  - {name: amount, measure: events.amount}
  - {name: events, measure: events.events}
"""


def test_weekdays_of_the_fixture() -> None:
    assert [e["day"].isoweekday() for e in EVENTS] == [7, 1, 7, 1, 7, 1, 3, 7, 1]


@pytest.fixture
def monday(make_project: MakeProject) -> SoundProject:
    return make_project({"events": EVENTS}, MODELS)


@pytest.fixture
def sunday(make_project: MakeProject) -> SoundProject:
    return make_project({"events": EVENTS}, MODELS, calendar={"week_start": "sunday"}, name="sunday")


def test_iso_weeks_around_new_year_2023(monday: SoundProject) -> None:
    table = monday.query(["amount", "events"], grain="week", start=d("2022-12-19"), end=d("2023-01-02"))
    assert_table(
        table,
        ["period", "amount", "events"],
        [
            (d("2022-12-19"), 1.0, 1),  # Sunday 2022-12-25 ends the week of Monday 12-19
            (d("2022-12-26"), 6.0, 2),  # 12-26 + Sunday 2023-01-01 (2 + 4); a year-cut week would give 2 and 4
            (d("2023-01-02"), 8.0, 1),
        ],
    )


def test_iso_weeks_around_new_year_2025(monday: SoundProject) -> None:
    table = monday.query(["amount"], grain="week", start=d("2024-12-23"), end=d("2025-01-06"))
    assert_table(
        table,
        ["period", "amount"],
        [
            (d("2024-12-23"), 16.0),
            (d("2024-12-30"), 224.0),  # 32 + 64 + 128: 2024-12-30, 2025-01-01 and 2025-01-05 are one week
            (d("2025-01-06"), 256.0),
        ],
    )
    # the same by hand-written SQL (DuckDB's date_trunc('week') is the ISO, Monday, week)
    expected = monday.reference(
        "select date_trunc('week', day)::date, sum(amount)::double from events "
        "where date_trunc('week', day) between date '2024-12-23' and date '2025-01-06' group by 1 order by 1"
    )
    assert_table(table, ["period", "amount"], expected)


def test_weeks_cut_by_the_range_keep_their_days_inside_it(monday: SoundProject) -> None:
    # Wednesday to Wednesday: both weeks overlap the range and are partial (issue 14); each is
    # valued from its days inside the range. (Before, the week of 12-23 was dropped and the week
    # of 12-30 counted its days after `end` too: 224.)
    table = monday.query(["amount"], grain="week", start=d("2024-12-25"), end=d("2025-01-01"))
    assert_table(
        table,
        ["period", "amount"],
        [
            (d("2024-12-23"), 16.0),  # 12-25 to Sunday 12-29: 16
            (d("2024-12-30"), 96.0),  # 12-30 to 01-01: 32 + 64 (Sunday 01-05, 128, is after the end)
        ],
    )
    assert partial_periods(table) == [d("2024-12-23"), d("2024-12-30")]


def test_sunday_weeks(sunday: SoundProject) -> None:
    # each range ends on the Saturday that ends its last week (whole weeks, nothing partial)
    early = sunday.query(["amount"], grain="week", start=d("2022-12-25"), end=d("2023-01-07"))
    assert_table(
        early,
        ["period", "amount"],
        [
            (d("2022-12-25"), 3.0),  # Sunday 12-25 + Monday 12-26 (Monday weeks: 1 and 6)
            (d("2023-01-01"), 12.0),  # Sunday 01-01 + Monday 01-02
        ],
    )
    late = sunday.query(["amount"], grain="week", start=d("2024-12-29"), end=d("2025-01-11"))
    assert_table(
        late,
        ["period", "amount"],
        [
            (d("2024-12-29"), 112.0),  # 16 + 32 + 64
            (d("2025-01-05"), 384.0),  # 128 + 256
        ],
    )


def test_timestamps_late_on_sunday(make_project: MakeProject) -> None:
    rows = [
        {"at": dt.datetime(2024, 12, 29, 23, 59, 59), "amount": 1},  # Sunday night: week of 2024-12-23
        {"at": dt.datetime(2024, 12, 30, 0, 0, 0), "amount": 2},  # Monday midnight: week of 2024-12-30
        {"at": dt.datetime(2025, 1, 5, 23, 30, 0), "amount": 4},  # Sunday night: still week of 2024-12-30
    ]
    models = MODELS.replace("{name: day, column: day, type: time}", "{name: day, column: at, type: time}")
    project = make_project({"events": rows}, models)
    table = project.query(["amount"], grain="week", start=d("2024-12-23"), end=d("2025-01-05"))
    assert_table(table, ["period", "amount"], [(d("2024-12-23"), 1.0), (d("2024-12-30"), 6.0)])
    by_day = project.query(["amount"], grain="day", start=d("2024-12-29"), end=d("2024-12-30"))
    assert_table(by_day, ["period", "amount"], [(d("2024-12-29"), 1.0), (d("2024-12-30"), 2.0)])

"""Fiscal quarters and years start in month ``calendar.fiscal_year_start``.

The ``period`` of a fiscal year or quarter is its first day. Each day carries a
distinct power of two, so every sum tells which days were put together.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

MODELS = """
datasets:
  - name: events
    table: events
    time: day
    dimensions:
      - {name: day, column: day, type: time}
    measures:
      - {name: amount, agg: sum, expr: amount}
metrics:
  - {name: amount, measure: events.amount}
"""

APRIL_EVENTS = [
    {"day": d("2023-03-31"), "amount": 1},  # FY from 2022-04-01, FQ from 2023-01-01
    {"day": d("2023-04-01"), "amount": 2},  # FY from 2023-04-01, FQ from 2023-04-01
    {"day": d("2024-01-01"), "amount": 4},  # FY from 2023-04-01, FQ from 2024-01-01
    {"day": d("2024-02-15"), "amount": 8},  # FY from 2023-04-01, FQ from 2024-01-01
    {"day": d("2024-03-31"), "amount": 16},  # FY from 2023-04-01, FQ from 2024-01-01
    {"day": d("2024-04-01"), "amount": 32},  # FY from 2024-04-01, FQ from 2024-04-01
    {"day": d("2024-05-20"), "amount": 64},  # FY from 2024-04-01, FQ from 2024-04-01
    {"day": d("2024-06-30"), "amount": 128},  # FQ from 2024-04-01
    {"day": d("2024-07-01"), "amount": 256},  # FQ from 2024-07-01
]


@pytest.fixture
def april(make_project: MakeProject) -> SoundProject:
    return make_project({"events": APRIL_EVENTS}, MODELS, calendar={"fiscal_year_start": 4})


def test_fiscal_year_starting_in_april(april: SoundProject) -> None:
    table = april.query(["amount"], grain="fiscal_year", start=d("2022-04-01"), end=d("2024-07-01"))
    assert_table(
        table,
        ["period", "amount"],
        [
            (d("2022-04-01"), 1.0),  # 2023-03-31 closes FY 2022-04-01 (calendar year 2023 would add 2 + ...)
            (d("2023-04-01"), 30.0),  # 2 + 4 + 8 + 16: 2023-04-01 .. 2024-03-31
            (d("2024-04-01"), 480.0),  # 32 + 64 + 128 + 256
        ],
    )


def test_fiscal_quarter_starting_in_april(april: SoundProject) -> None:
    table = april.query(["amount"], grain="fiscal_quarter", start=d("2023-01-01"), end=d("2024-07-01"))
    assert_table(
        table,
        ["period", "amount"],
        [
            (d("2023-01-01"), 1.0),
            (d("2023-04-01"), 2.0),
            (d("2023-07-01"), 0.0),
            (d("2023-10-01"), 0.0),
            (d("2024-01-01"), 28.0),  # 2024-02-15 is in the fiscal quarter from 2024-01-01: 4 + 8 + 16
            (d("2024-04-01"), 224.0),  # 2024-05-20 is in the fiscal quarter from 2024-04-01: 32 + 64 + 128
            (d("2024-07-01"), 256.0),
        ],
    )


def test_calendar_grains_ignore_the_fiscal_year(april: SoundProject) -> None:
    years = april.query(["amount"], grain="year", start=d("2023-01-01"), end=d("2024-12-31"))
    # calendar years: 1 + 2 = 3 and 4 + 8 + ... + 256 = 508 (fiscal years would give 1 / 30 / 480)
    assert_table(years, ["period", "amount"], [(d("2023-01-01"), 3.0), (d("2024-01-01"), 508.0)])
    quarters = april.query(["amount"], grain="quarter", start=d("2024-01-01"), end=d("2024-07-01"))
    assert_table(
        quarters, ["period", "amount"], [(d("2024-01-01"), 28.0), (d("2024-04-01"), 224.0), (d("2024-07-01"), 256.0)]
    )


FEBRUARY_EVENTS = [
    {"day": d("2024-01-31"), "amount": 1},  # FY from 2023-02-01, FQ from 2023-11-01
    {"day": d("2024-02-01"), "amount": 2},  # FY from 2024-02-01, FQ from 2024-02-01
    {"day": d("2024-02-29"), "amount": 4},  # leap day: FQ from 2024-02-01
    {"day": d("2024-04-30"), "amount": 8},  # FQ from 2024-02-01
    {"day": d("2024-05-01"), "amount": 16},  # FQ from 2024-05-01
    {"day": d("2025-01-31"), "amount": 32},  # FY from 2024-02-01, FQ from 2024-11-01
    {"day": d("2025-02-01"), "amount": 64},  # FY from 2025-02-01, FQ from 2025-02-01
]


@pytest.fixture
def february(make_project: MakeProject) -> SoundProject:
    return make_project({"events": FEBRUARY_EVENTS}, MODELS, calendar={"fiscal_year_start": 2})


def test_fiscal_quarter_starting_in_february_with_leap_day(february: SoundProject) -> None:
    table = february.query(["amount"], grain="fiscal_quarter", start=d("2023-11-01"), end=d("2025-02-01"))
    assert_table(
        table,
        ["period", "amount"],
        [
            (d("2023-11-01"), 1.0),  # Nov, Dec, Jan
            (d("2024-02-01"), 14.0),  # 2 + 4 + 8: Feb 1, Feb 29, Apr 30 (calendar quarters: Q1 = 1 + 2 + 4)
            (d("2024-05-01"), 16.0),
            (d("2024-08-01"), 0.0),
            (d("2024-11-01"), 32.0),
            (d("2025-02-01"), 64.0),
        ],
    )


def test_fiscal_year_starting_in_february_with_leap_day(february: SoundProject) -> None:
    table = february.query(["amount"], grain="fiscal_year", start=d("2023-02-01"), end=d("2025-02-01"))
    assert_table(
        table,
        ["period", "amount"],
        [
            (d("2023-02-01"), 1.0),
            (d("2024-02-01"), 62.0),  # 2 + 4 + 8 + 16 + 32: 2024-02-01 .. 2025-01-31
            (d("2025-02-01"), 64.0),
        ],
    )

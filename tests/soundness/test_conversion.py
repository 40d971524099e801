"""Conversion metrics: a buy counts for the latest visit of the same user on or before its day.

Visits are the base events, buys the conversion events. Every expected number is worked out by
hand in the comments and, for the conversions by day and page, by hand-written SQL.
"""

from __future__ import annotations

import pytest

from onpace.errors import DefinitionError

from .helpers import MakeProject, SoundProject, assert_table, d

DATA = """
create table visits (user_id varchar, day date, page varchar);
insert into visits values
    ('u1', date '2024-01-01', 'home'), ('u1', date '2024-01-05', 'pricing'),
    ('u2', date '2024-01-02', 'home'),
    ('u3', date '2024-01-10', 'pricing'),
    ('u6', date '2024-01-20', 'home'),                                       -- never buys
    ('u7', date '2024-01-15', 'pricing'), ('u7', date '2024-01-15', 'home'),  -- two visits, one day
    ('u4', date '2024-02-01', 'home');
create table buys (user_id varchar, day date, amount double);
insert into buys values
    ('u1', date '2024-01-03', 10),   -- visit Jan 1 (home)
    ('u1', date '2024-01-06', 20),   -- visit Jan 5 (pricing), the latest
    ('u2', date '2024-01-08', 7),    -- visit Jan 2, 6 days before: within 7 days
    ('u2', date '2024-01-09', 6),    -- visit Jan 2, 7 days before: not within 7 days
    ('u3', date '2024-01-09', 3),    -- before u3's only visit: counts for none
    ('u3', date '2024-01-10', 4),    -- the day of the visit: counts
    ('u5', date '2024-01-04', 100),  -- u5 never visited
    ('u7', date '2024-01-16', 1),    -- two visits on Jan 15: the one whose page sorts first (home)
    ('u4', date '2024-03-15', 50);   -- visit Feb 1: 43 days later
"""

MODELS = """
datasets:
  - name: visits
    table: visits
    time: day
    keys: [{name: user, column: user_id}]
    dimensions: [{name: day, type: time}, {name: page}]
    measures: [{name: visits, agg: count}]
  - name: buys
    table: buys
    time: buy_day
    keys: [{name: user, column: user_id}]
    dimensions: [{name: buy_day, column: day, type: time}]
    measures:
      - {name: buys, agg: count}
      - {name: amount, agg: sum, expr: amount}
      - {name: buyers, agg: count_distinct, expr: user_id}
metrics:
  - {name: visits, measure: visits.visits}
  - {name: buys, measure: buys.buys}
  - {name: amount, measure: buys.amount}
  - {name: buyers, measure: buys.buyers}
  - {name: conversions_7d, type: conversion, base: visits, conversion: buys, entity: user, window: 7 days,
     calculation: conversions}
  - {name: rate_7d, type: conversion, base: visits, conversion: buys, entity: user, window: 7 days}
  - {name: amount_7d, type: conversion, base: visits, conversion: amount, entity: user, window: 1 week,
     calculation: conversions}
  - {name: buyers_7d, type: conversion, base: visits, conversion: buyers, entity: user, window: 7 days,
     calculation: conversions}
  - {name: conversions_ever, type: conversion, base: visits, conversion: buys, entity: user,
     calculation: conversions}
  - {name: conversions_2m, type: conversion, base: visits, conversion: buys, entity: user, window: 2 months,
     calculation: conversions}
"""

JAN, FEB = d("2024-01-01"), d("2024-02-01")


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project(DATA, MODELS)


def test_by_month(project: SoundProject) -> None:
    metrics = ["visits", "conversions_7d", "rate_7d", "amount_7d", "buyers_7d", "conversions_ever", "conversions_2m"]
    table = project.query(metrics, grain="month", start=JAN, end=d("2024-02-29"))
    assert_table(
        table,
        ["period", *metrics],
        [
            # January: 7 visits; within 7 days, u1 Jan 3 and Jan 6, u2 Jan 8, u3 Jan 10, u7 Jan 16: 5 buys
            # (10 + 20 + 7 + 4 + 1 = 42) by 4 users; ever: u2's Jan 9 too (6); 2 months: the same 6
            (JAN, 7, 5, 5 / 7, 42.0, 4, 6, 6),
            # February: u4's visit; its buy 43 days later counts with no window and within 2 months only
            (FEB, 1, 0, 0.0, 0.0, 0, 1, 1),
        ],
    )


def test_by_day_and_page_against_sql(project: SoundProject) -> None:
    table = project.query(["conversions_7d"], ["page"], grain="day", start=JAN, end=d("2024-01-31"))
    expected = project.reference(
        """
        with events as (select row_number() over () as id, * from buys),
        attributed as (
            select v.day, v.page,
                   row_number() over (partition by e.id order by v.day desc, v.page) as pick
            from visits v join events e
              on v.user_id = e.user_id and v.day <= e.day and v.day > e.day - interval 7 day
        ),
        days as (select day::date as day from range(date '2024-01-01', date '2024-02-01', interval 1 day) t(day)),
        pages as (select distinct page from visits where day between date '2024-01-01' and date '2024-01-31')
        select days.day, pages.page, count(a.day)
        from days cross join pages
        left join attributed a on a.day = days.day and a.page = pages.page and a.pick = 1
        group by 1, 2 order by 1, 2
        """
    )
    assert_table(table, ["period", "page", "conversions_7d"], expected)
    by_key = {(r["period"], r["page"]): r["conversions_7d"] for r in table.to_pylist()}
    # by hand: Jan 1 home (u1 Jan 3), Jan 2 home (u2 Jan 8), Jan 5 pricing (u1 Jan 6), Jan 10 pricing
    # (u3 Jan 10), Jan 15 home (u7 Jan 16: of two visits that day, home sorts first)
    nonzero = {k: v for k, v in by_key.items() if v}
    assert nonzero == {
        (d("2024-01-01"), "home"): 1,
        (d("2024-01-02"), "home"): 1,
        (d("2024-01-05"), "pricing"): 1,
        (d("2024-01-10"), "pricing"): 1,
        (d("2024-01-15"), "home"): 1,
    }


def test_rate_by_page(project: SoundProject) -> None:
    table = project.query(["visits", "conversions_7d", "rate_7d"], ["page"], start=JAN, end=d("2024-01-31"))
    rows = {r["page"]: (r["visits"], r["conversions_7d"], r["rate_7d"]) for r in table.to_pylist()}
    # home: visits u1 Jan 1, u2, u6, u7: 4, converted u1 Jan 3, u2 Jan 8, u7: 3; pricing: 3 visits, 2 buys
    assert rows == {"home": (4, 3, 0.75), "pricing": (3, 2, 2 / 3)}


def test_where_picks_the_base_events_before_attribution(project: SoundProject) -> None:
    table = project.query(["conversions_7d"], start=JAN, end=d("2024-01-31"), where="page = 'home'")
    # home visits only: u1's Jan 6 buy goes to its Jan 1 visit (5 days before) instead of the pricing
    # visit of Jan 5: u1 twice, u2 Jan 8, u7: 4
    assert table.to_pylist() == [{"conversions_7d": 4}]


def test_a_range_that_starts_late_reads_the_buys_after_its_end(project: SoundProject) -> None:
    # visits of Jan 10 .. Jan 15; their buys up to 7 days later (u7's on Jan 16, after the range)
    table = project.query(["conversions_7d"], start=d("2024-01-10"), end=d("2024-01-15"))
    assert table.to_pylist() == [{"conversions_7d": 2}]  # u3 Jan 10, u7 Jan 16


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("{name: bad, type: conversion, base: visits, conversion: buys, entity: customer}",
         "dataset 'visits' of its base metric 'visits' has no key 'customer'"),
        ("{name: bad, type: conversion, base: rate_7d, conversion: buys, entity: user}",
         "its base metric 'rate_7d' is a conversion metric"),
        ("{name: bad, type: conversion, base: visits, conversion: buys, entity: user, window: 7 periods}",
         "invalid duration '7 periods'"),
    ],
)  # fmt: skip
def test_definitions_that_cannot_work_are_refused(make_project: MakeProject, metric: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        make_project(DATA, MODELS + f"  - {metric}\n")


def test_a_conversion_is_broken_down_by_its_base_events_dimensions(project: SoundProject) -> None:
    from onpace.services.explore import dimensions_of

    # page is a dimension of the visits only: the conversions go by the visits' pages
    assert dimensions_of(project.project, "conversions_7d") == ["page"]
    assert dimensions_of(project.project, "buys") == []


LATER = """
create table visits (user_id varchar, day date, page varchar);
insert into visits values
    ('x', date '2024-01-14', 'home'), ('x', date '2024-01-17', 'home'),
    ('y', date '2024-01-20', 'home'), ('y', date '2024-02-03', 'home'),
    ('z', date '2024-01-16', 'home');
create table buys (user_id varchar, day date, amount double);
insert into buys values
    ('x', date '2024-01-18', 1),   -- x's latest visit is Jan 17, after a range ending Jan 15
    ('y', date '2024-02-04', 1),   -- y's latest visit is Feb 3
    ('z', date '2024-01-20', 1);   -- z's visit of Jan 16
"""

LATER_MODELS = (
    MODELS
    + """
  - name: conversions_mom
    type: derived
    expr: conversions_ever - previous
    inputs: [{metric: conversions_ever, alias: previous, offset: 1 period}]
"""
)


@pytest.mark.parametrize("end", [d("2024-01-15"), d("2024-01-31")])
def test_a_buy_after_the_range_goes_to_the_latest_visit_even_after_the_range(make_project: MakeProject, end) -> None:
    project = make_project(LATER, MODELS)
    rows = project.query(["conversions_7d"], grain="day", start=d("2024-01-14"), end=end).to_pylist()
    by_day = {r["period"]: r["conversions_7d"] for r in rows}
    assert by_day[d("2024-01-14")] == 0  # x's buy of Jan 18 is the Jan 17 visit's, whatever the range
    if end == d("2024-01-31"):
        assert {k: v for k, v in by_day.items() if v} == {d("2024-01-16"): 1, d("2024-01-17"): 1}


@pytest.mark.parametrize("end", [d("2024-01-31"), d("2024-02-29")])
def test_without_a_window_the_month_does_not_depend_on_the_range(make_project: MakeProject, end) -> None:
    project = make_project(LATER, MODELS)
    rows = project.query(["conversions_ever"], grain="month", start=JAN, end=end).to_pylist()
    # January: x (Jan 17) and z (Jan 16); y's buy of Feb 4 is its Feb 3 visit's, in February
    assert rows[0] == {"period": JAN, "conversions_ever": 2}
    if end == d("2024-02-29"):
        assert rows[1] == {"period": FEB, "conversions_ever": 1}


def test_an_offset_over_a_partial_first_period_is_the_same_every_time(make_project: MakeProject) -> None:
    project = make_project(LATER, LATER_MODELS)
    for _ in range(3):
        rows = project.query(["conversions_ever", "conversions_mom"], grain="month", start=d("2024-01-15"),
                             end=d("2024-02-29")).to_pylist()  # fmt: skip
        # January from the 15th: x and z (2); February: y (1), 1 - 2 against the whole of January
        assert rows == [
            {"period": JAN, "conversions_ever": 2, "conversions_mom": 2.0},  # December: no visits, 0
            {"period": FEB, "conversions_ever": 1, "conversions_mom": -1.0},
        ]

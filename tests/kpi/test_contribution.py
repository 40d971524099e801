"""The split of a change by segment (onpace.kpi.contribution): every number worked out by hand."""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onpace.catalog import models as m
from onpace.catalog.project import load_project
from onpace.kpi import contribution as c

D = dt.date


def _by_segment(split: c.Split) -> dict[object, object]:
    """(delta, share) by segment, as plain objects to compare with ``pytest.approx`` values."""
    return {p.segment: (p.delta, p.share) for p in split.parts}


# -- additive ------------------------------------------------------------------


def test_additive_deltas_and_shares() -> None:
    # EU 1000 -> 1900 (+900), US 500 -> 510 (+10), ASIA 300 -> 290 (-10): the total moves +900
    split = c.additive({"EU": 1000, "US": 500, "ASIA": 300}, {"EU": 1900, "US": 510, "ASIA": 290})

    assert split.method == "additive"
    assert split.total == 900
    assert [p.segment for p in split.parts] == ["EU", "US", "ASIA"]  # with the change first, then against it
    assert _by_segment(split) == {
        "EU": (900, pytest.approx(1.0)),
        "US": (10, pytest.approx(10 / 900)),
        "ASIA": (-10, pytest.approx(-10 / 900)),
    }
    assert [(p.before, p.now) for p in split.parts] == [(1000, 1900), (500, 510), (300, 290)]
    assert split.concentration == pytest.approx(900 / 920)  # EU's part of the 920 the segments moved in all


def test_a_fall_is_led_by_the_segment_that_fell_most() -> None:
    # A 100 -> 40 (-60), B 100 -> 80 (-20), C 100 -> 110 (+10): the total moves -70
    split = c.additive({"A": 100, "B": 100, "C": 100}, {"A": 40, "B": 80, "C": 110})

    assert split.total == -70
    assert [p.segment for p in split.parts] == ["A", "B", "C"]
    assert _by_segment(split) == {
        "A": (-60, pytest.approx(60 / 70)),
        "B": (-20, pytest.approx(20 / 70)),
        "C": (10, pytest.approx(-10 / 70)),
    }


def test_no_total_change_has_no_shares() -> None:
    # A +5, B -5: the total is unchanged; the moves are listed by size, with no shares
    split = c.additive({"A": 10, "B": 10}, {"A": 15, "B": 5})

    assert split.total == 0
    assert _by_segment(split) == {"A": (5, None), "B": (-5, None)}
    assert [p.segment for p in split.parts] == ["A", "B"]
    assert split.concentration == pytest.approx(0.5)
    assert split.moved


def test_nothing_moved() -> None:
    split = c.additive({"A": 10, "B": 3}, {"A": 10, "B": 3})

    assert split.total == 0
    assert not split.moved
    assert split.concentration == 0


def test_new_and_vanished_segments_count_as_zero_where_missing() -> None:
    # OLD 4 -> gone (-4), NEW none -> 8 (+8), A 10 -> 10, rows without a region (None) 1 -> 3 (+2): total +6
    split = c.additive({"A": 10, "OLD": 4, None: 1}, {"A": 10, "NEW": 8, None: 3})

    assert split.total == 6
    assert [p.segment for p in split.parts] == ["NEW", None, "A", "OLD"]
    assert _by_segment(split) == {
        "NEW": (8, pytest.approx(8 / 6)),
        None: (2, pytest.approx(2 / 6)),
        "A": (0, pytest.approx(0.0)),
        "OLD": (-4, pytest.approx(-4 / 6)),
    }
    new = next(p for p in split.parts if p.segment == "NEW")
    old = next(p for p in split.parts if p.segment == "OLD")
    assert (new.before, new.now, old.before, old.now) == (0, 8, 4, 0)


def test_a_segment_with_a_null_value_counts_as_zero() -> None:
    split = c.additive({"A": None, "B": 2}, {"A": 5, "B": 2})

    assert _by_segment(split) == {"A": (5, pytest.approx(1.0)), "B": (0, pytest.approx(0.0))}


# -- ratio -----------------------------------------------------------------------


def test_ratio_contributions_add_up_exactly_to_the_change_of_the_ratio() -> None:
    # before: A 10/100, B 30/100: r0 = 40/200 = 0.2; now: A 40/100, B 35/150: r1 = 75/250 = 0.3
    # A: (30 - 0.2 * 0) / 250 = 0.12; B: (5 - 0.2 * 50) / 250 = -0.02; 0.12 - 0.02 = 0.1 = r1 - r0
    split = c.ratio({"A": 10, "B": 30}, {"A": 100, "B": 100}, {"A": 40, "B": 35}, {"A": 100, "B": 150})

    assert split is not None
    assert split.method == "ratio"
    assert split.total == pytest.approx(0.1)
    assert _by_segment(split) == {
        "A": (pytest.approx(0.12), pytest.approx(1.2)),
        "B": (pytest.approx(-0.02), pytest.approx(-0.2)),
    }
    assert math.isclose(sum(p.delta or 0 for p in split.parts), 75 / 250 - 40 / 200, rel_tol=1e-12)
    values: list[object] = [(p.before, p.now) for p in split.parts]
    assert values == [
        (pytest.approx(0.1), pytest.approx(0.4)),
        (pytest.approx(0.3), pytest.approx(35 / 150)),
    ]


def test_ratio_mix_effect_alone() -> None:
    # each region keeps its rate (A 10%, B 50%) but B's volume doubles: r0 = 60/200 = 0.3, r1 = 110/300
    # A: (0 - 0.3 * 0) / 300 = 0; B: (50 - 0.3 * 100) / 300 = 20/300 = r1 - r0
    split = c.ratio({"A": 10, "B": 50}, {"A": 100, "B": 100}, {"A": 10, "B": 100}, {"A": 100, "B": 200})

    assert split is not None
    assert _by_segment(split) == {"B": (pytest.approx(20 / 300), pytest.approx(1.0)), "A": (0, pytest.approx(0.0))}
    assert split.total == pytest.approx(110 / 300 - 0.3)


def test_ratio_new_and_vanished_segments() -> None:
    # before: A 5/50, OLD 15/50: r0 = 20/100 = 0.2; now: A 5/50, NEW 30/50: r1 = 35/100 = 0.35
    # A: 0; OLD: (-15 - 0.2 * -50) / 100 = -0.05; NEW: (30 - 0.2 * 50) / 100 = 0.2; sum 0.15
    split = c.ratio({"A": 5, "OLD": 15}, {"A": 50, "OLD": 50}, {"A": 5, "NEW": 30}, {"A": 50, "NEW": 50})

    assert split is not None
    assert _by_segment(split) == {
        "NEW": (pytest.approx(0.2), pytest.approx(0.2 / 0.15)),
        "A": (pytest.approx(0.0), pytest.approx(0.0)),
        "OLD": (pytest.approx(-0.05), pytest.approx(-0.05 / 0.15)),
    }
    old = next(p for p in split.parts if p.segment == "OLD")
    assert old.before == pytest.approx(0.3)
    assert old.now is None  # no lines now: no ratio of its own


def test_ratio_without_a_denominator_has_no_split() -> None:
    assert c.ratio({"A": 1}, {"A": 0}, {"A": 1}, {"A": 2}) is None
    assert c.ratio({"A": 1}, {"A": 2}, {}, {}) is None


@given(
    st.lists(
        st.tuples(st.integers(0, 1000), st.integers(1, 1000), st.integers(0, 1000), st.integers(1, 1000)),
        min_size=1,
        max_size=8,
    )
)
def test_ratio_contributions_always_add_up_to_the_change(rows: list[tuple[int, int, int, int]]) -> None:
    n0: dict[str | None, float | None] = {f"s{i}": float(r[0]) for i, r in enumerate(rows)}
    d0: dict[str | None, float | None] = {f"s{i}": float(r[1]) for i, r in enumerate(rows)}
    n1: dict[str | None, float | None] = {f"s{i}": float(r[2]) for i, r in enumerate(rows)}
    d1: dict[str | None, float | None] = {f"s{i}": float(r[3]) for i, r in enumerate(rows)}
    split = c.ratio(n0, d0, n1, d1)
    assert split is not None
    change = sum(r[2] for r in rows) / sum(r[3] for r in rows) - sum(r[0] for r in rows) / sum(r[1] for r in rows)
    assert math.isclose(sum(p.delta or 0 for p in split.parts), change, rel_tol=1e-9, abs_tol=1e-12)


# -- non-additive --------------------------------------------------------------------


def test_non_additive_ranks_own_changes_by_size_without_shares() -> None:
    # distinct customers: A 10 -> 12 (+2), B 20 -> 5 (-15), C 5 -> gone (-5), D new -> 7 (+7)
    split = c.non_additive({"A": 10, "B": 20, "C": 5}, {"A": 12, "B": 5, "D": 7}, zero_when_empty=True)

    assert split.method == "non_additive"
    assert split.total is None
    assert [p.segment for p in split.parts] == ["B", "D", "C", "A"]
    assert _by_segment(split) == {"B": (-15, None), "D": (7, None), "C": (-5, None), "A": (2, None)}
    assert split.concentration == pytest.approx(15 / 29)


def test_non_additive_without_a_zero_leaves_new_and_vanished_segments_unknown() -> None:
    # a median: C and D have no value in one window, so their change is unknown (listed last)
    split = c.non_additive({"A": 10, "B": 20, "C": 5}, {"A": 12, "B": 5, "D": 7}, zero_when_empty=False)

    assert [p.segment for p in split.parts] == ["B", "A", "C", "D"]
    assert _by_segment(split) == {"B": (-15, None), "A": (2, None), "C": (None, None), "D": (None, None)}
    assert split.concentration == pytest.approx(15 / 17)


# -- which dimensions can tell, which changes are negligible ----------------------------


def test_a_dimension_tells_only_with_two_segments_that_have_a_value() -> None:
    # a metric filtered on status = 'completed': the other statuses are 0 in both windows
    assert not c.informative({"completed": 300, "cancelled": 0, "returned": 0}, {"completed": 500, "cancelled": 0})
    # only the rows without a coupon have a value
    assert not c.informative({None: 300, "SPRING": 0}, {None: 500, "SPRING": None})
    assert not c.informative({None: 300}, {None: 500})
    # two segments, even in different windows (one gone, one new), or one of them the rows without a value
    assert c.informative({"OLD": 10}, {"NEW": 20})
    assert c.informative({"A": 10, None: 1}, {"A": 12, None: 0})
    # a ratio: a segment with a numerator or a denominator counts
    assert c.informative({"A": 0, "B": 0}, {"A": 100, "B": 100}, {"A": 1, "B": 0}, {"A": 100, "B": 100})


def test_negligible_changes() -> None:
    assert c.negligible(100, 100)
    assert c.negligible(0, 0)
    assert c.negligible(100, 100.4)  # 0.4% of 100
    assert not c.negligible(100, 100.6)
    assert not c.negligible(0, 0.001)  # from 0: any change tells
    assert c.negligible(-200, -199.5)  # 0.25% of |-200|
    # a rate: 1.25% -> 1.2525% moved 0.2% of its value (and 0.0025% of the 98.75% left to 100%)
    assert c.negligible(0.0125, 250 / 19_960, rate=True)
    assert not c.negligible(0.0125, 0.0126, rate=True)  # 0.8% of its value
    # an uptime 99.968% -> 99.924% moved 0.044% of its value, but 137.5% of the 0.032% left to 100%
    assert c.negligible(0.99968, 0.99924)
    assert not c.negligible(0.99968, 0.99924, rate=True)


# -- windows -------------------------------------------------------------------------

CALENDAR = m.Calendar()


def test_a_running_period_is_compared_with_the_same_days_of_the_previous_one() -> None:
    windows = c.compared_windows(D(2025, 4, 1), D(2025, 6, 30), D(2025, 4, 15), m.Grain.quarter, CALENDAR)

    assert windows == (c.Window(D(2025, 4, 1), D(2025, 4, 15)), c.Window(D(2025, 1, 1), D(2025, 1, 15)))
    assert [w.days for w in windows] == [15, 15]


def test_a_period_that_is_over_is_compared_whole_with_the_whole_previous_one() -> None:
    windows = c.compared_windows(D(2025, 4, 1), D(2025, 6, 30), D(2025, 7, 3), m.Grain.quarter, CALENDAR)

    assert windows == (c.Window(D(2025, 4, 1), D(2025, 6, 30)), c.Window(D(2025, 1, 1), D(2025, 3, 31)))
    assert [w.days for w in windows] == [91, 90]
    # a whole February against the whole of January (31 days, not the first 28)
    feb = c.compared_windows(D(2025, 2, 1), D(2025, 2, 28), D(2025, 2, 28), m.Grain.month, CALENDAR)
    assert feb == (c.Window(D(2025, 2, 1), D(2025, 2, 28)), c.Window(D(2025, 1, 1), D(2025, 1, 31)))


def test_a_shorter_previous_period_is_taken_whole() -> None:
    # 30 days of March against February, which has 28
    windows = c.compared_windows(D(2025, 3, 1), D(2025, 3, 31), D(2025, 3, 30), m.Grain.month, CALENDAR)

    assert windows == (c.Window(D(2025, 3, 1), D(2025, 3, 30)), c.Window(D(2025, 2, 1), D(2025, 2, 28)))


def test_weeks_and_fiscal_quarters() -> None:
    # a week starting on Monday 2025-04-14, as of Wednesday: Monday to Wednesday of the week before
    week = c.compared_windows(D(2025, 4, 14), D(2025, 4, 20), D(2025, 4, 16), m.Grain.week, CALENDAR)
    assert week == (c.Window(D(2025, 4, 14), D(2025, 4, 16)), c.Window(D(2025, 4, 7), D(2025, 4, 9)))
    # fiscal years from April: FY Q1 from 2025-04-01, as of its first day, against 2025-01-01
    fiscal = m.Calendar(fiscal_year_start=4)
    first = c.compared_windows(D(2025, 4, 1), D(2025, 6, 30), D(2025, 4, 1), m.Grain.fiscal_quarter, fiscal)
    assert first == (c.Window(D(2025, 4, 1), D(2025, 4, 1)), c.Window(D(2025, 1, 1), D(2025, 1, 1)))


def test_nothing_to_compare_before_the_period_starts() -> None:
    assert c.compared_windows(D(2025, 4, 1), D(2025, 6, 30), D(2025, 3, 31), m.Grain.quarter, CALENDAR) is None


# -- which split a metric gets -----------------------------------------------------------

MODELS = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: cost, agg: sum, expr: cost}
      - {name: lines, agg: count}
      - {name: buyers, agg: count_distinct, expr: customer}
      - {name: median_amount, agg: median, expr: amount}

metrics:
  - {name: revenue, measure: revenue}
  - {name: cost, measure: cost}
  - {name: lines, measure: lines}
  - {name: buyers, measure: buyers}
  - {name: median_amount, measure: median_amount}
  - {name: ticket, type: ratio, numerator: revenue, denominator: lines}
  - {name: per_buyer, type: ratio, numerator: revenue, denominator: buyers}
  - name: profit
    type: derived
    expr: revenue - cost
    inputs: [{metric: revenue}, {metric: cost}]
  - name: half_profit
    type: derived
    expr: (revenue - 2 * cost) / 2
    inputs: [{metric: revenue}, {metric: cost}]
  - name: plus_one
    type: derived
    expr: revenue + 1
    inputs: [{metric: revenue}]
  - name: squared
    type: derived
    expr: revenue * lines
    inputs: [{metric: revenue}, {metric: lines}]
  - name: profit_per_line
    type: ratio
    numerator: profit
    denominator: lines
  - {name: target_amount, type: manual, grain: month}
"""


def test_method_of_each_kind_of_metric(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "onpace.yml").write_text("name: split\n", encoding="utf-8")
    (tmp_path / "models" / "m.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    project = load_project(tmp_path, env={})

    methods = {name: c.method_of(project, name) for name in project.metrics}

    assert methods == {
        "revenue": "additive",
        "cost": "additive",
        "lines": "additive",
        "buyers": "non_additive",
        "median_amount": "non_additive",
        "ticket": "ratio",
        "per_buyer": "non_additive",  # distinct buyers do not add up by segment
        "profit": "additive",
        "half_profit": "additive",
        "plus_one": "non_additive",  # the 1 would be counted once per segment
        "squared": "non_additive",
        "profit_per_line": "ratio",
        "target_amount": "non_additive",
    }

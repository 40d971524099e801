"""Forecasts by kind of KPI, with bounds: hand-computed cases (docs/kpi-evaluation.md, "Forecasts").

- a **ratio** ends at the day-weighted average of the days so far and to come, and a rate's
  interval and probability stay within [0, 1];
- a **level** ends at its value on the last day (not a sum of the coming values);
- a **count** never adds less than 0; a **count distinct** grows more slowly as the population
  it draws from is seen.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from itertools import pairwise
from pathlib import Path
from statistics import NormalDist

import pytest

import onpace.examples
from onpace.catalog.project import load_project
from onpace.kpi.evaluate import KpiInput, evaluate
from onpace.kpi.forecast import forecast_by_kind, observation_step, population
from onpace.kpi.kind import bounds_of, kind_of
from onpace.kpi.outlook import NONE_DUE
from onpace.kpi.types import Target

Z_90 = 1.2815515655446004  # the standard normal's 90th percentile


# ------------------------------------------------------------------ a rate stays within [0, 1]

# ten days of 100% and 98% on time: mean 0.99, sample sd sqrt(10 * 0.01^2 / 9) = 0.0105409
RATE_HISTORY = [1.0, 0.98] * 5
RATE_SD = math.sqrt(10 * 0.01**2 / 9)


def test_a_rate_band_is_clipped_at_100_percent() -> None:
    # day 1 of 2 at 100%, one day to come: the final is (1.0 * 1 + S) / 2 with S ~ N(0.99, 0.0105409);
    # mean 0.995, sd 0.00527046, so the 80% band is 0.995 ± 1.28155 * 0.00527046 = 0.98825..1.00175:
    # 100.18% is impossible for a rate, and the band stops at 100%
    f = forecast_by_kind("ratio", RATE_HISTORY, 1.0, 1, 1, Target.at_least(0.99), bounds=(0.0, 1.0))
    sd = RATE_SD / 2
    assert f.method == "run_rate"
    assert f.value == pytest.approx(0.995)
    assert f.low == pytest.approx(0.995 - Z_90 * sd)
    assert f.high == 1.0
    # at least 99%: S >= 0.98, 1 - Φ((0.98 - 0.99) / 0.0105409) = Φ(0.948683) = 0.828609
    assert f.probability == pytest.approx(0.828609, abs=1e-6)


def test_without_bounds_the_same_band_passes_100_percent() -> None:
    f = forecast_by_kind("ratio", RATE_HISTORY, 1.0, 1, 1, None)
    assert f.high == pytest.approx(0.995 + Z_90 * RATE_SD / 2)
    assert f.high is not None and f.high > 1.0


def test_the_chance_of_a_range_counts_the_days_the_rate_is_held_at_100_percent() -> None:
    # between 99.5% and 100%: without bounds Φ(0.948683) - Φ(0) = 0.328609; with them the outcomes
    # above 100% are 100% itself, inside the range: 1 - Φ(0) = 0.5
    target = Target.between(0.995, 1.0)
    assert forecast_by_kind("ratio", RATE_HISTORY, 1.0, 1, 1, target).probability == pytest.approx(0.328609, abs=1e-6)
    bounded = forecast_by_kind("ratio", RATE_HISTORY, 1.0, 1, 1, target, bounds=(0.0, 1.0))
    assert bounded.probability == pytest.approx(0.5)


def test_a_bound_the_data_breaks_is_not_applied() -> None:
    # a "rate" that went above 1 (production against plan) is not bounded by 1
    f = forecast_by_kind("ratio", [1.2, 1.0] * 5, 1.1, 1, 1, None, bounds=(0.0, 1.0))
    assert f.high is not None and f.high > 1.0
    assert f.note is not None and f.note.endswith("values above 1 seen: that bound is not applied")


def test_the_evaluation_reads_kind_and_bounds() -> None:
    day = dt.date(2026, 10, 1)
    kpi = KpiInput(
        accumulation="level",
        direction="higher",
        period_start=day,
        period_end=day + dt.timedelta(days=1),
        as_of=day,
        actual=1.0,
        history=tuple(RATE_HISTORY),
        target=Target.at_least(0.99),
        kind="ratio",
        bounds=(0.0, 1.0),
    )
    e = evaluate(kpi)
    assert e.forecast_high == 1.0 and e.forecast == pytest.approx(0.995)
    assert evaluate(KpiInput(**{**kpi.__dict__, "bounds": (None, None)})).forecast_high == pytest.approx(
        0.995 + Z_90 * RATE_SD / 2
    )


# ------------------------------------------------------------------ a level ends at its level

MEMBERS = [4700.0, 4760.0, 4800.0, 4830.0, 4845.0, 4850.0, 4846.0, 4849.0, 4848.0, 4847.0]  # one a month
MONTH = 30.4


def test_a_level_is_forecast_at_the_period_end_not_summed() -> None:
    # as of November 1 (4,847 members), 60 days to the end of the quarter: one more monthly value
    # (December 1) is due; the level holds at 4,847 and moves like a random walk by the spread of
    # its monthly changes: 60, 40, 30, 15, 5, -4, 3, -1, -1 (sample sd 22.2935)
    changes = [b - a for a, b in pairwise(MEMBERS)]
    sd = statistics.stdev(changes)
    assert sd == pytest.approx(22.2935, abs=1e-4)
    target = Target.at_least(4993.44)  # +3% on the quarter before
    f = forecast_by_kind("level", MEMBERS, 4847.0, 32, 60, target, step_days=MONTH)
    assert f.method == "run_rate"
    assert f.value == 4847.0  # not 4,847 plus another 60 days (or months) of members
    assert f.low == pytest.approx(4847 - Z_90 * sd) and f.high == pytest.approx(4847 + Z_90 * sd)
    assert f.probability == pytest.approx(1 - NormalDist(4847, sd).cdf(4993.44), abs=1e-12)
    assert f.probability < 1e-9  # +3% in one month when the club has been flat since spring: no chance


def test_two_values_to_come_widen_the_level_by_sqrt_2() -> None:
    # 61 days to go: December 1 and December 31 (61 / 30.4 = 2.007): the spread is sd * sqrt(2)
    sd = statistics.stdev([b - a for a, b in pairwise(MEMBERS)])
    f = forecast_by_kind("level", MEMBERS, 4847.0, 31, 61, None, step_days=MONTH)
    assert f.value == 4847.0
    assert f.high == pytest.approx(4847 + Z_90 * sd * math.sqrt(2))


def test_no_value_due_before_the_end_keeps_the_actual() -> None:
    # 29 days to go and a value a month: the next one comes after the period ends
    f = forecast_by_kind("level", MEMBERS, 4847.0, 62, 29, Target.at_least(4800.0), step_days=MONTH)
    assert (f.value, f.low, f.high, f.probability, f.method) == (4847.0, 4847.0, 4847.0, 1.0, "actual")
    assert f.note == NONE_DUE


def test_a_steadily_growing_level_is_read_from_its_own_past_changes() -> None:
    # 40 monthly values growing by exactly 10: every earlier forecast of "the value two months on"
    # from "the value now" was 20 short, so the forecast is the last value + 20, with no spread
    history = [1000.0 + 10 * i for i in range(40)]  # ... 1390
    f = forecast_by_kind("level", history, 1390.0, 1, 61, Target.at_least(1410.0), step_days=MONTH)
    assert f.method == "empirical"
    assert (f.value, f.low, f.high, f.probability) == (1410.0, 1410.0, 1410.0, 1.0)


def test_the_step_between_values() -> None:
    months = {dt.date(2026, m, 1): 1.0 for m in range(1, 12)}
    # January 1 .. November 1: 304 days over 10 gaps
    assert observation_step(months, dt.date(2026, 11, 18)) == pytest.approx(30.4)
    daily = {dt.date(2026, 1, 1) + dt.timedelta(days=i): 1.0 for i in range(30) if i % 7 != 6}
    assert observation_step(daily, dt.date(2026, 2, 1)) == 1.0  # a day missing now and then: daily
    assert observation_step({dt.date(2026, 1, 1): 1.0}, dt.date(2026, 2, 1)) == math.inf
    assert observation_step({}, dt.date(2026, 2, 1)) == 1.0


# ------------------------------------------------------------------ counts


def test_a_count_never_adds_less_than_nothing() -> None:
    # ten days of 0 and 2 tickets (mean 1, sd 1.05409), 50 so far, one day to go: the day adds
    # N(1, 1.05409) tickets, whose 10th percentile (1 - 1.35088 = -0.35) would lower the total
    history = [0.0, 2.0] * 5
    sd = math.sqrt(10 / 9)
    unbounded = forecast_by_kind("flow", history, 50.0, 10, 1, None)
    assert unbounded.low == pytest.approx(51 - Z_90 * sd) and unbounded.low < 50
    f = forecast_by_kind("flow", history, 50.0, 10, 1, Target.at_most(50.0), bounds=(0.0, None))
    assert f.low == 50.0 and f.value == 51.0
    # at most 50 means the day adds nothing: the clipped mass at 0, Φ((0 - 1) / 1.05409) = 0.171391
    assert f.probability == pytest.approx(0.171391, abs=1e-6)


def _population(distinct: float, counted: float) -> float:
    """N with N (1 - exp(-counted / N)) = distinct, by Newton's method from 2 * distinct."""
    n = 2 * distinct
    for _ in range(100):
        f = n * (1 - math.exp(-counted / n)) - distinct
        df = 1 - math.exp(-counted / n) - counted / n * math.exp(-counted / n)
        n -= f / df
    return n


def test_a_count_distinct_grows_more_slowly_as_its_population_is_seen() -> None:
    # 10 buyers a day for 45 days (450) were 300 distinct customers: drawn from N = 514.746;
    # 46 more days of 10 (460, the history is constant) reach N (1 - exp(-910 / N)) = 426.880
    # distinct customers, not 300 + 460 (a plain sum) nor 300 + 460 * 300 / 450 = 606.7
    size = _population(300.0, 450.0)
    assert size == pytest.approx(514.746, abs=1e-3)
    assert population(300.0, 450.0) == pytest.approx(size, rel=1e-9)
    f = forecast_by_kind("count_distinct", [10.0] * 45, 300.0, 45, 46, Target.at_least(420.0), bounds=(0.0, None))
    expected = size * (1 - math.exp(-910 / size))
    assert expected == pytest.approx(426.880, abs=1e-3)
    assert f.value == pytest.approx(expected, rel=1e-9)
    assert f.low == pytest.approx(expected, rel=1e-9) and f.high == pytest.approx(expected, rel=1e-9)
    assert f.probability == 1.0


def test_a_count_distinct_that_never_repeats_adds_up() -> None:
    # every order is distinct: 450 of 450, so the coming 460 add up
    assert population(450.0, 450.0) is None
    f = forecast_by_kind("count_distinct", [10.0] * 45, 450.0, 45, 46, None)
    assert f.value == pytest.approx(910.0)


# ------------------------------------------------------------------ kinds and bounds from the definitions

EXAMPLES = Path(onpace.examples.__file__).parent


@pytest.mark.parametrize(
    ("example", "kpi", "kind", "bounds"),
    [
        ("demo", "quarterly_revenue", "flow", (None, None)),  # a sum: net revenue can go below 0
        ("demo", "club_growth", "level", (None, None)),  # members at the end: semi-additive, last
        ("demo", "club_churn", "flow", (0.0, 1.0)),  # cancellations / members at the start, a percent
        ("demo", "employee_turnover", "flow", (None, None)),  # derived: leavers / average_headcount
        ("demo", "gross_margin_band", "ratio", (None, None)),  # derived: (revenue - cost) / revenue
        ("demo", "mobile_conversion", "ratio", (0.0, 1.0)),  # orders / sessions, a percent
        ("demo", "acquisition_cost", "ratio", (None, None)),  # spend / new customers, in EUR
        ("demo", "first_response", "ratio", (0.0, None)),  # an average duration
        ("demo", "engagement", "ratio", (None, None)),  # entered by hand, averaged
        ("tpch", "active_customers_quarter", "count_distinct", (0.0, None)),
        ("tpch", "order_value_band", "ratio", (None, None)),
        ("tpch", "on_time_delivery", "ratio", (0.0, 1.0)),
    ],
)
def test_kind_and_bounds_of_the_examples(example: str, kpi: str, kind: str, bounds: tuple[float | None, ...]) -> None:
    project = load_project(EXAMPLES / example)
    assert (kind_of(project, project.kpis[kpi]), bounds_of(project, project.kpis[kpi])) == (kind, bounds)

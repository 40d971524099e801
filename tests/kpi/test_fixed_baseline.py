"""A ``change`` target against a fixed baseline period (``vs: {period: 2024-10-01}``), resolved by hand.

The baseline is the KPI's period (of its timeframe's grain) that holds the date,
the same whatever the period judged: for a quarterly KPI, 2024-10-01 names
2024-Q4 (2024-10-01..2024-12-31); with a fiscal year starting in April, the
fiscal quarter that holds it is FY2024-Q3 (named by its start year) or FY2025-Q3
(named by its end year). ``+15%`` on a baseline of 1,000 is at least 1,150.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.project import load_project
from onpace.errors import DefinitionError, UserError
from onpace.kpi.resolve import baseline, baseline_start, target_basis, target_spec
from onpace.kpi.targets import resolve_target
from onpace.kpi.types import Target, TargetSpec

OCT_1 = dt.date(2024, 10, 1)
GREGORIAN = m.Calendar()
APRIL_START = m.Calendar(fiscal_year_start=4)
APRIL_END = m.Calendar(fiscal_year_start=4, fiscal_year_named_by="end")


@pytest.mark.parametrize(
    ("change", "direction", "baseline", "expected"),
    [
        (0.15, "higher", 1000.0, Target.at_least(1150.0)),  # 1,000 x 1.15
        (-0.1, "lower", 200.0, Target.at_most(180.0)),  # 200 x 0.9
        (0.15, "higher", -200.0, Target.at_least(-170.0)),  # -200 + 200 x 0.15
        (0.15, "higher", 0.0, Target.at_least(0.0)),
    ],
)
def test_a_fixed_baseline_resolves_like_the_others(
    change: float, direction: Any, baseline: float, expected: Target
) -> None:
    spec = TargetSpec.relative(change, OCT_1)
    resolved = resolve_target(spec, direction, baseline)
    assert resolved is not None
    assert resolved.kind == expected.kind
    assert resolved.value == pytest.approx(expected.value)


def test_without_a_baseline_value_there_is_no_target() -> None:
    assert resolve_target(TargetSpec.relative(0.15, OCT_1), "higher", None) is None


def test_the_spec_takes_a_date_but_not_a_date_and_time() -> None:
    assert TargetSpec.relative(0.15, OCT_1).vs == OCT_1
    with pytest.raises(UserError, match="vs must be same_period_last_year, previous_period or a date"):
        TargetSpec("change", change=0.15, vs=dt.datetime(2024, 10, 1, 12))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("grain", "calendar", "start", "label"),
    [
        (m.Grain.month, GREGORIAN, dt.date(2024, 11, 1), "2024-11"),
        (m.Grain.quarter, GREGORIAN, dt.date(2024, 10, 1), "2024-Q4"),
        (m.Grain.year, GREGORIAN, dt.date(2024, 1, 1), "2024"),
        # April fiscal years: FY2024 runs 2024-04-01..2025-03-31; its Q3 is October..December
        (m.Grain.fiscal_quarter, APRIL_START, dt.date(2024, 10, 1), "FY2024-Q3"),
        (m.Grain.fiscal_quarter, APRIL_END, dt.date(2024, 10, 1), "FY2025-Q3"),
        (m.Grain.fiscal_year, APRIL_START, dt.date(2024, 4, 1), "FY2024"),
        (m.Grain.fiscal_year, APRIL_END, dt.date(2024, 4, 1), "FY2025"),
    ],
)
def test_the_baseline_is_the_period_of_the_grain_that_holds_the_date(
    grain: m.Grain, calendar: m.Calendar, start: dt.date, label: str
) -> None:
    day = dt.date(2024, 11, 15)  # inside every one of those periods
    # the same baseline whatever the period judged: a year later, two years later, or before it
    for judged in (dt.date(2025, 1, 1), dt.date(2026, 7, 1), dt.date(2023, 4, 1)):
        assert baseline_start(day, judged, grain, calendar) == start
    spec = TargetSpec.relative(0.15, day)
    assert target_basis(spec, dt.date(2025, 7, 1), grain, calendar) == f"+15% vs {label}"


def test_the_other_baselines_in_words() -> None:
    q3 = dt.date(2025, 7, 1)
    assert target_basis(TargetSpec.relative(0.2, "same_period_last_year"), q3, m.Grain.quarter, GREGORIAN) == (
        "+20% vs same period last year"
    )
    assert target_basis(TargetSpec.relative(-0.05, "previous_period"), q3, m.Grain.quarter, GREGORIAN) == (
        "-5% vs previous period"
    )
    assert target_basis(TargetSpec.relative(0.125, OCT_1), q3, m.Grain.month, GREGORIAN) == "+12.5% vs 2024-10"
    assert target_basis(TargetSpec("at_least", value=1.0), q3, m.Grain.quarter, GREGORIAN) is None
    # the existing kinds keep their periods: the quarter before, the quarter a year earlier
    assert baseline_start("previous_period", q3, m.Grain.quarter, GREGORIAN) == dt.date(2025, 4, 1)
    assert baseline_start("same_period_last_year", q3, m.Grain.quarter, GREGORIAN) == dt.date(2024, 7, 1)


@pytest.mark.parametrize("period", [OCT_1, "2024-10-01", " 2024-10-01 "])
def test_the_definition_takes_a_yaml_date_or_an_iso_string(period: Any) -> None:
    target = g.Target.model_validate({"change": "+15%", "vs": {"period": period}})
    assert target.vs == g.BaselinePeriod(period=OCT_1)
    assert target_spec(target) == TargetSpec.relative(0.15, OCT_1)
    assert target.model_dump(mode="json", exclude_none=True) == {"change": 0.15, "vs": {"period": "2024-10-01"}}


@pytest.mark.parametrize("vs", ["same_period_last_year", "previous_period"])
def test_the_named_baselines_are_accepted_as_before(vs: str) -> None:
    target = g.Target.model_validate({"change": 0.2, "vs": vs})
    assert target.vs == vs
    assert target_spec(target) == TargetSpec.relative(0.2, vs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("vs", "message"),
    [
        ({"period": "1899-12-31"}, "invalid baseline period in 'vs': 1899-12-31 is outside the dates onpace supports"),
        ({"period": "2200-01-01"}, "2200-01-01 is outside the dates onpace supports (1900-01-01 to 2199-12-31)"),
        ({"period": "2024-13-01"}, "invalid baseline period '2024-13-01' in 'vs'; expected a date such as 2024-10-01"),
        ({"period": 2024}, "invalid baseline period 2024 in 'vs'; expected a date such as 2024-10-01"),
        ({"period": "2024-Q4"}, "invalid baseline period '2024-Q4' in 'vs'"),
        ({"period": dt.datetime(2024, 10, 1, 9)}, "invalid baseline period"),
        ({"period": OCT_1, "day": 3}, "unknown key 'day' in 'vs'; expected only 'period'"),
        ({}, "'vs' needs 'period'"),
        ("last_year", "invalid vs 'last_year'; expected same_period_last_year, previous_period or {period: <a date>}"),
        (["previous_period"], "invalid vs"),
    ],
)
def test_a_wrong_vs_is_one_clear_error(vs: Any, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        g.Target.model_validate({"change": "+15%", "vs": vs})
    errors = raised.value.errors()
    assert len(errors) == 1  # one message, not one per form 'vs' may take
    assert errors[0]["loc"] == ("vs",)
    assert message in errors[0]["msg"]


def test_a_wrong_vs_in_a_kpi_names_the_kpi() -> None:
    kpi = {
        "name": "growth",
        "metric": "revenue",
        "targets": [
            {"change": "+15%", "vs": {"perod": "2024-10-01"}, "from": "2024-01-01"},
            {"change": "+5%", "vs": "previous_period", "from": "2025-01-01"},
        ],
        "priority": "high",  # another mistake in the same KPI: still reported, as pydantic words it
    }
    with pytest.raises(ValidationError) as raised:
        g.Kpi.model_validate(kpi)
    errors = {e["loc"]: e["msg"] for e in raised.value.errors()}
    assert errors[("targets", 0, "vs")] == (
        "Value error, KPI 'growth': unknown key 'perod' in 'vs'; expected only 'period' (a date such as 2024-10-01)"
    )
    assert errors[("priority",)].startswith("Input should be a valid integer")


ONE_PERIOD = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {{name: day, column: day, type: time}}
    measures:
      - {{name: revenue, agg: sum, expr: amount}}
metrics:
  - {{name: revenue, measure: revenue}}
objectives:
  - {{name: grow, owner: CEO}}
kpis:
  - name: q3_push
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: 2025-Q3
    review_cadence: monthly
    target: {{change: "+15%", vs: {{period: {day}}}}}
"""


@pytest.mark.parametrize(("day", "problem"), [("2025-06-30", None), ("2025-07-01", "is not before its timeframe")])
def test_a_one_period_kpi_needs_a_baseline_before_its_period(tmp_path: Path, day: str, problem: str | None) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "onpace.yml").write_text("name: one_period\n", encoding="utf-8")
    (tmp_path / "models" / "goals.yml").write_text(ONE_PERIOD.format(day=day), encoding="utf-8")
    if problem is None:
        vs = load_project(tmp_path, env={}).kpis["q3_push"].all_targets[0].vs
        assert isinstance(vs, g.BaselinePeriod) and vs.period == dt.date(2025, 6, 30)  # 2025-Q2: before Q3
        return
    with pytest.raises(DefinitionError) as raised:
        load_project(tmp_path, env={})
    assert str(raised.value) == (
        "1 problem in the definitions:\n"
        "  models/goals.yml:21: kpis[0].target.vs: KPI 'q3_push': the baseline period of 'vs' (the one holding "
        "2025-07-01) is not before its timeframe 2025-Q3 (expected a date before 2025-07-01)"
    )


class _Data:
    """What :func:`baseline` reads of a KPI's stored values: days from 2024-10-01 to 2025-05-15, 35 a day."""

    def __init__(self) -> None:
        self.first, self.last = dt.date(2024, 10, 1), dt.date(2025, 5, 15)
        days = (self.last - self.first).days + 1
        self.daily = {self.first + dt.timedelta(days=i): 35.0 for i in range(days)}
        self.periodic = {dt.date(2024, 10, 1): 12.5}

    def covers(self, start: dt.date, end: dt.date) -> bool:
        return self.first <= start and end <= self.last


def test_the_baseline_value_and_why_there_is_none() -> None:
    data: Any = _Data()
    q2, quarter = dt.date(2025, 4, 1), m.Grain.quarter
    vs_q4 = TargetSpec.relative(0.15, OCT_1)
    assert baseline(True, data, vs_q4, q2, quarter, GREGORIAN) == (92 * 35.0, None)  # the sum of Q4's days
    assert baseline(False, data, vs_q4, q2, quarter, GREGORIAN) == (12.5, None)  # Q4's own value (a level)
    # a baseline period that is not over before the period judged: none, whatever the data
    assert baseline(True, data, TargetSpec.relative(0.15, dt.date(2025, 5, 1)), q2, quarter, GREGORIAN) == (
        None,
        "no baseline: the baseline period 2025-Q2 is not over before the period judged (2025-Q2)",
    )
    # a baseline the data covers in part: none
    assert baseline(True, data, TargetSpec.relative(0.15, dt.date(2024, 9, 1)), q2, m.Grain.month, GREGORIAN) == (
        None,
        "no baseline: the data does not cover the whole of 2024-09",
    )
    assert baseline(True, data, TargetSpec.relative(0.1, "same_period_last_year"), q2, quarter, GREGORIAN) == (
        None,
        "no baseline: the data does not cover the whole same period last year",
    )

"""The target of a KPI instance's period (onpace.kpi.resolve.kpi_target): schedule entry and baseline.

The fixed baseline (``vs: {period: ...}``) and the baseline's coverage rule are in test_fixed_baseline.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.kpi.instances import KpiInstance, kpi_instances
from onpace.kpi.resolve import KpiTarget, kpi_target
from onpace.kpi.series import KpiSeries
from onpace.kpi.types import Target, TargetSpec

D = dt.date
Q = m.Grain.quarter


def _instance(project: Project, name: str) -> KpiInstance:
    return next(i for i in kpi_instances(project) if i.kpi.name == name)


def _ten_a_day(first: dt.date, last: dt.date) -> KpiSeries:
    return KpiSeries({first + dt.timedelta(days=i): 10.0 for i in range((last - first).days + 1)}, {})


def test_the_schedule_entry_in_effect_at_the_period_start(load: Callable[[str], Project]) -> None:
    project = load("today")
    instance, series = _instance(project, "q_revenue"), KpiSeries({}, {})
    # an entry without 'from' applies from the beginning; the one from 2025-01-01 from Q1 2025 on
    assert kpi_target(project, instance, series, D(2024, 10, 1), Q) == KpiTarget(
        TargetSpec("at_least", value=900), Target.at_least(900)
    )
    assert kpi_target(project, instance, series, D(2025, 1, 1), Q).target == Target.at_least(1200)
    # before the first entry's date: no target at all
    assert kpi_target(project, _instance(project, "from_2025"), series, D(2024, 10, 1), Q) == KpiTarget(None, None)


def test_a_change_target_on_the_previous_period(load: Callable[[str], Project]) -> None:
    project = load("today")
    instance = _instance(project, "growth")
    # Q1 2025 (90 days) sold 10 a day: 900, so Q2's target is at least 900 x 1.1 = 990
    resolved = kpi_target(project, instance, _ten_a_day(D(2024, 10, 1), D(2025, 5, 15)), D(2025, 4, 1), Q)
    assert resolved.spec == TargetSpec.relative(0.1, "previous_period")
    assert resolved.target is not None and resolved.target.kind == "at_least"
    assert resolved.target.value is not None and abs(resolved.target.value - 990.0) < 1e-9
    assert (resolved.basis, resolved.unavailable) == ("+10% vs previous period", None)
    # data from January 2 on: Q1 is not whole, so there is no target, and the reason says why
    partial = kpi_target(project, instance, _ten_a_day(D(2025, 1, 2), D(2025, 5, 15)), D(2025, 4, 1), Q)
    assert (partial.target, partial.basis) == (None, "+10% vs previous period")
    assert partial.unavailable == "no baseline: the data does not cover the whole previous period"

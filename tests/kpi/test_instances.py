"""What a KPI definition means for its evaluation (onpace.kpi.instances), on the project of conftest.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.kpi.instances import accumulation, additive, canonical, direction, kpi_instances, timeframe_grain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  region  =   'N'  ", "region = 'N'"),
        ("a\t=\n1 and  b = 2", "a = 1 and b = 2"),
        ("name = 'two  spaces'", "name = 'two  spaces'"),  # inside quotes, spaces are the value's own
    ],
)
def test_one_spelling_of_a_filter(text: str | None, expected: str) -> None:
    assert canonical(text) == expected


def test_a_kpi_with_segment_by_is_one_instance_per_segment_with_targets(load: Callable[[str], Project]) -> None:
    project = load("today")
    instances = [i for i in kpi_instances(project) if i.kpi.name == "by_region"]
    # sorted by value; the KPI's own segment in parentheses, a quote in a value doubled
    assert [(i.key, i.name, i.filter) for i in instances] == [
        ("O'HARE", "by_region [O'HARE]", "(channel = 'web') and region = 'O''HARE'"),
        ("SOUTH", "by_region [SOUTH]", "(channel = 'web') and region = 'SOUTH'"),
    ]
    assert [[t.at_least for t in i.targets] for i in instances] == [[10.0], [20.0]]
    whole = next(i for i in kpi_instances(project) if i.kpi.name == "q_revenue")
    assert (whole.key, whole.name, whole.filter, len(whole.targets)) == ("", "q_revenue", "", 2)
    # nine KPIs, one of them in two segments
    assert len(kpi_instances(project)) == 10


@pytest.mark.parametrize(
    ("kpi", "grain"),
    [
        ("q_revenue", m.Grain.quarter),
        ("by_region", m.Grain.month),
        ("ticket_level", m.Grain.quarter),  # one period, 2025-Q3
        ("spend", m.Grain.fiscal_year),
    ],
)
def test_the_timeframe_grain(load: Callable[[str], Project], kpi: str, grain: m.Grain) -> None:
    project = load("today")
    assert timeframe_grain(project, project.kpis[kpi]) == grain


@pytest.mark.parametrize(
    ("kpi", "flow", "sums", "better"),
    [
        ("q_revenue", "flow", True, "higher"),  # sum
        ("q_buyers", "flow", False, "higher"),  # count distinct: a flow whose days overlap
        ("cheap_tickets", "level", False, "lower"),  # a ratio; its metric says lower is better
        ("ticket_level", "level", True, "lower"),  # the KPI's own accumulation and direction win
        ("spend", "flow", True, "higher"),  # manual, over_time: sum
        ("staff", "level", False, "higher"),  # manual, over_time: last
    ],
)
def test_accumulation_additivity_and_direction(
    load: Callable[[str], Project], kpi: str, flow: str, sums: bool, better: str
) -> None:
    project = load("today")
    definition = project.kpis[kpi]
    assert accumulation(project, definition) == flow
    assert additive(project, definition.metric or "") is sums
    assert direction(project, definition) == better

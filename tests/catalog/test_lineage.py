"""Which datasets (and time dimensions) a metric reads: one walk over the definitions, for every caller."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from onpace.catalog import lineage
from onpace.catalog.project import Project, load_project
from onpace.engine import plan as p
from onpace.errors import QueryError

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "onpace" / "examples"

MODELS = """
datasets:
  - name: orders
    table: orders
    time: ordered_on
    dimensions:
      - {name: ordered_on, column: ordered_on, type: time}
      - {name: shipped_on, column: shipped_on, type: time}
      - {name: region, column: region}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: orders, agg: count}
  - name: visits
    table: visits
    time: visited_on
    dimensions:
      - {name: visited_on, column: day, type: time}
    measures:
      - {name: visits, agg: sum, expr: n}
  - name: stock
    table: stock
    time: counted_on
    dimensions:
      - {name: counted_on, column: day, type: time}
    measures:
      - {name: units, agg: sum, expr: units}
metrics:
  - {name: revenue, measure: revenue}
  - {name: shipped_revenue, measure: revenue, time: shipped_on}
  - {name: orders, measure: orders}
  - {name: visits, measure: visits}
  - {name: conversion, type: ratio, numerator: orders, denominator: visits}
  - name: revenue_per_visit_growth
    type: derived
    expr: current / visits - 1
    inputs:
      - {metric: revenue, alias: current}
  - {name: running_revenue, type: cumulative, metric: revenue, grain_to_date: year}
  - {name: stock_on_hand, type: semi_additive, measure: units, over_time: last}
  - {name: survey_score, type: manual}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("lineage")
    (root / "models").mkdir()
    (root / "onpace.yml").write_text("name: lineage\n")
    (root / "models" / "m.yml").write_text(textwrap.dedent(MODELS))
    return load_project(root)


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("revenue", [("orders", "ordered_on")]),
        ("shipped_revenue", [("orders", "shipped_on")]),  # its own time dimension
        ("conversion", [("orders", "ordered_on"), ("visits", "visited_on")]),
        # the input by alias, and the metric named in the expression only
        ("revenue_per_visit_growth", [("orders", "ordered_on"), ("visits", "visited_on")]),
        ("running_revenue", [("orders", "ordered_on")]),
        ("stock_on_hand", [("stock", "counted_on")]),
        ("survey_score", []),  # entered by hand: no dataset
    ],
)
def test_scans(project: Project, metric: str, expected: list[tuple[str, str]]) -> None:
    assert lineage.scans(project, metric) == expected


def test_datasets_and_time_dimensions(project: Project) -> None:
    assert lineage.datasets_read(project, "conversion") == ["orders", "visits"]
    assert lineage.time_dimensions(project, "conversion") == frozenset({"ordered_on", "visited_on"})
    assert lineage.time_dimensions(project, "survey_score") == frozenset()


def test_dependencies(project: Project) -> None:
    assert lineage.dependencies(project.metrics["conversion"]) == ["orders", "visits"]
    assert lineage.dependencies(project.metrics["revenue_per_visit_growth"]) == ["revenue", "visits"]
    assert lineage.dependencies(project.metrics["revenue"]) == []


def test_an_unknown_metric_is_named_with_a_suggestion(project: Project) -> None:
    with pytest.raises(QueryError) as raised:
        lineage.scans(project, "revenu")
    assert str(raised.value).startswith("unknown metric 'revenu'")
    assert raised.value.suggestion == "revenue"


def _plan_scans(project: Project, metric: str) -> list[tuple[str, str]]:
    """What the engine's plan of ``metric`` reads: the walk the callers of lineage.scans used to make."""
    pairs: set[tuple[str, str]] = set()
    for node in p.walk([p.Planner(project).resolve(metric)]):
        if isinstance(node, (p.Leaf, p.Semi)):
            pairs.add((node.dataset, node.time))
        elif isinstance(node, p.Cumulative):
            pairs.add((node.leaf.dataset, node.leaf.time))
    return sorted(pairs)


@pytest.mark.parametrize("example", ["demo", "starter", "tpch"])
def test_the_definitions_read_what_the_plan_reads(example: str) -> None:
    project = load_project(EXAMPLES / example)
    computed = [name for name, metric in project.metrics.items() if metric.type != "manual"]
    assert computed
    for name in computed:
        assert lineage.scans(project, name) == _plan_scans(project, name), name

"""A stored series' fingerprint is made of an explicit description of the metric's plan, not its repr().

A change in how a dataclass prints must neither recompute every series nor (worse) leave a
series computed from another plan in place; a new field of a plan node must be part of it.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest

from onpace.catalog import models as m
from onpace.catalog.project import Project, load_project
from onpace.engine import plan
from onpace.engine.plan import Conversion, Cumulative, Derived, Leaf, Offset, Planner, Ratio, Semi, describe
from onpace.services.needs import SeriesSpec
from onpace.services.refresh import fingerprint

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
      - {name: lines, agg: count}
metrics:
  - {name: revenue, measure: revenue}
  - {name: lines, measure: lines}
  - {name: avg_line, type: ratio, numerator: revenue, denominator: lines}
"""


def _project(root: Path, models: str = MODELS) -> Project:
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "onpace.yml").write_text("name: shop\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\n")
    (root / "models" / "m.yml").write_text(textwrap.dedent(models))
    return load_project(root)


LEAF = Leaf("sales", "day", m.Agg.sum, "amount", ("region = 'N'",), None, False)
NODES: list[plan.Node] = [
    LEAF,
    Semi("stock", "day", "units", (), "last", ("sku",)),
    Cumulative(LEAF, 28, (28, "day"), m.Grain.month, True),
    Ratio(LEAF, dataclasses.replace(LEAF, agg=m.Agg.count, expr=None)),
    Derived("a - b", (("a", LEAF), ("b", LEAF))),
    Offset(LEAF, -1, "year"),
    Conversion(LEAF, dataclasses.replace(LEAF, agg=m.Agg.count, expr=None), "customer", (7, "day")),
]


def test_a_leaf_is_described_field_by_field() -> None:
    assert describe(LEAF) == {
        "kind": "leaf",
        "dataset": "sales",
        "time": "day",
        "agg": "sum",
        "expr": "amount",
        "filters": ["region = 'N'"],
        "percentile": None,
        "null_when_empty": False,
    }


@pytest.mark.parametrize("node", NODES, ids=lambda n: type(n).__name__)
def test_every_field_of_every_node_is_described(node: plan.Node) -> None:
    described = describe(node)
    assert set(described) - {"kind"} == {f.name for f in dataclasses.fields(node)}
    assert json.loads(json.dumps(described)) == described  # plain JSON


def test_every_kind_of_node_is_covered() -> None:
    assert {type(n) for n in NODES} == set(plan.Node.__args__)  # type: ignore[attr-defined]


def test_nested_nodes_are_described_inside_their_parent() -> None:
    assert describe(Offset(LEAF, -1, "year")) == {"kind": "offset", "node": describe(LEAF), "count": -1, "unit": "year"}
    assert describe(Derived("a", (("a", LEAF),)))["inputs"] == [["a", describe(LEAF)]]
    cumulative = describe(Cumulative(LEAF, None, (1, "quarter"), None, False))
    assert (cumulative["window"], cumulative["window_days"], cumulative["to_date"]) == ([1, "quarter"], None, None)


def test_the_fingerprint_does_not_depend_on_repr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    spec = SeriesSpec("avg_line", m.Grain.month, "")
    before = fingerprint(project, spec)
    for cls in (Leaf, Ratio):
        monkeypatch.setattr(cls, "__repr__", lambda self: "the same for every node")
    assert fingerprint(project, spec) == before


def test_equal_plans_have_equal_fingerprints(tmp_path: Path) -> None:
    spec = SeriesSpec("avg_line", m.Grain.month, "")
    # two loads of the same files, and a copy in another folder: different objects, the same plan
    first, second = _project(tmp_path / "a"), _project(tmp_path / "a")
    other_folder = _project(tmp_path / "b")
    assert first is not second
    assert fingerprint(first, spec) == fingerprint(second, spec) == fingerprint(other_folder, spec)


@pytest.mark.parametrize(
    "change",
    [
        ("{name: revenue, agg: sum, expr: amount}", "{name: revenue, agg: sum, expr: amount * 2}"),
        ("{name: lines, agg: count}", "{name: lines, agg: count, filter: region = 'N'}"),
        ("{name: lines, agg: count}", "{name: lines, agg: count_distinct, expr: region}"),
        ("numerator: revenue, denominator: lines", "numerator: lines, denominator: revenue"),
    ],
    ids=["expression", "filter", "aggregation", "swapped ratio"],
)
def test_a_meaningful_change_of_the_plan_changes_the_fingerprint(tmp_path: Path, change: tuple[str, str]) -> None:
    spec = SeriesSpec("avg_line", m.Grain.month, "")
    before = _project(tmp_path / "before")
    after = _project(tmp_path / "after", MODELS.replace(*change))
    assert describe(Planner(before).resolve("avg_line")) != describe(Planner(after).resolve("avg_line"))
    assert fingerprint(before, spec) != fingerprint(after, spec)


def test_grain_and_segment_are_part_of_the_fingerprint(tmp_path: Path) -> None:
    project = _project(tmp_path)
    month = fingerprint(project, SeriesSpec("revenue", m.Grain.month, ""))
    assert month != fingerprint(project, SeriesSpec("revenue", m.Grain.week, ""))
    assert month != fingerprint(project, SeriesSpec("revenue", m.Grain.month, "region = 'N'"))

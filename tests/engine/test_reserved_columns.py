"""A source column named as one of the engine's own (``__t``, a row's day; ``__p``, its period).

Found by probing: a table with an integer column ``__t`` (5, 6, 7 on 2020-01-01 and 5 on 2020-01-02)
validated "OK", and a distinct count of ``__t`` answered 2 in total (by hand: 3) and 1 for
2020-01-01 (by hand: 3), because the engine's day column replaced the source's: it counted days. A
sum of ``__t`` blamed a date, and a sum of ``__p`` failed with an ibis traceback. Such a column is
now refused by validate and by a query, naming it and saying what to do; a dimension over it (its
own expression, computed before the engine's columns exist) still works.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.engine.check import check_sources
from onpace.errors import QueryError

MODELS = """\
datasets:
  - name: w
    table: w
    time: day
    dimensions:
      - {name: day, column: d, type: time}
      - {name: code, column: __t}
    measures:
      - {name: distinct_t, agg: count_distinct, expr: __t}
      - {name: sum_p, agg: sum, expr: __p}
      - {name: rows, agg: count}
metrics:
  - {name: distinct_t, measure: distinct_t}
  - {name: sum_p, measure: sum_p}
  - {name: rows, measure: rows}
"""


@pytest.fixture
def project_dir(duckdb_project: Callable[[str, str], Path]) -> Path:
    return duckdb_project(
        MODELS,
        (
            "CREATE TABLE w (d DATE, __t INTEGER, __p INTEGER);"
            "INSERT INTO w VALUES ('2020-01-01', 5, 10), ('2020-01-01', 6, 20), ('2020-01-01', 7, 30), ('2020-01-02', 5, 40)"
        ),
    )


def test_validate_names_the_columns(project_dir: Path) -> None:
    issues = check_sources(load_project(project_dir))
    assert [(i.line, str(i.path).endswith("expr")) for i in issues] == [(9, True), (10, True)]
    assert all("has a name onpace keeps for its own columns" in i.message for i in issues)
    assert ["'__t'" in issues[0].message, "'__p'" in issues[1].message] == [True, True]


@pytest.mark.parametrize("metric", ["distinct_t", "sum_p"])
def test_a_query_is_refused_naming_the_column(project_dir: Path, metric: str) -> None:
    with Engine(load_project(project_dir)) as engine, pytest.raises(QueryError) as raised:
        engine.query(Query(metrics=[metric], grain="day"))
    assert "of dataset 'w' has a name onpace keeps for its own columns" in str(raised.value)


def test_a_dimension_over_such_a_column_still_groups_by_it(project_dir: Path) -> None:
    with Engine(load_project(project_dir)) as engine:
        table = engine.query(Query(metrics=["rows"], dimensions=["code"]))
    assert sorted((r["code"], r["rows"]) for r in table.to_pylist()) == [(5, 2), (6, 1), (7, 1)]  # by hand

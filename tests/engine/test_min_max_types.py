"""``min`` and ``max`` of a date or a text column: refused by ``onpace validate`` and by a query, naming
the operation and the expression, as a ``sum`` of one is.

Found by probing: ``agg: max, expr: d`` (a date) validated "OK", then every query failed inside the
source with "Unimplemented type for cast (DATE -> DOUBLE) when casting from source column __n0" (a
text's min: "Could not convert string 'a' to DOUBLE"). Min and max of numbers and of booleans
still work: checked against values by hand.
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
  - name: t
    table: t
    time: day
    dimensions:
      - {name: day, column: d, type: time}
    measures:
      - {name: last_day, agg: max, expr: d}
      - {name: first_code, agg: min, expr: s}
      - {name: top, agg: max, expr: n}
      - {name: any_flag, agg: max, expr: flag}
metrics:
  - {name: last_day, measure: last_day}
  - {name: first_code, measure: first_code}
  - {name: top, measure: top}
  - {name: any_flag, measure: any_flag}
"""


@pytest.fixture
def project_dir(duckdb_project: Callable[[str, str], Path]) -> Path:
    return duckdb_project(
        MODELS,
        (
            "CREATE TABLE t (d DATE, s VARCHAR, n INTEGER, flag BOOLEAN);"
            "INSERT INTO t VALUES ('2024-01-05', 'b', 3, false), ('2024-02-10', 'a', 7, true)"
        ),
    )


def test_validate_names_the_dates_and_texts(project_dir: Path) -> None:
    issues = check_sources(load_project(project_dir))
    assert [(i.line, i.message) for i in issues] == [
        (8, "cannot max 'd': it is date, not a number"),
        (9, "cannot min 's': it is string, not a number"),
    ]


@pytest.mark.parametrize(("metric", "says"), [("last_day", "cannot max 'd'"), ("first_code", "cannot min 's'")])
def test_a_query_is_refused_naming_the_expression(project_dir: Path, metric: str, says: str) -> None:
    with Engine(load_project(project_dir)) as engine, pytest.raises(QueryError) as raised:
        engine.query(Query(metrics=[metric], grain="month"))
    assert says in str(raised.value) and "not a number" in str(raised.value) and "__n0" not in str(raised.value)


def test_numbers_and_booleans_still_have_a_min_and_a_max(project_dir: Path) -> None:
    with Engine(load_project(project_dir)) as engine:
        table = engine.query(Query(metrics=["top", "any_flag"], grain="month"))
    rows = [(r["period"].isoformat(), r["top"], r["any_flag"]) for r in table.to_pylist()]
    assert rows == [("2024-01-01", 3.0, 0.0), ("2024-02-01", 7.0, 1.0)]  # by hand: one row a month

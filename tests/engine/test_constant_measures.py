"""A measure whose expression names no column (``expr: 1``: count or sum a constant) aggregates per row.

Regression: every aggregate of such a measure crashed with ``AttributeError: 'IntegerScalar' object
has no attribute 'sum'`` (found by the dbt import, where ``expr: 1`` with ``agg: sum`` is MetricFlow's
way of counting rows). The expected values are hand-written SQL on the same DuckDB file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query

MEASURES = {  # name: (agg, expr, filter, the same aggregate in hand-written SQL)
    "ones": ("sum", "1", None, "sum(1)"),
    "halves": ("sum", "2.5", None, "sum(2.5)"),
    "rows": ("count", "1", None, "count(1)"),
    "labels": ("count_distinct", "'x'", None, "count(distinct 'x')"),
    "mean": ("avg", "3", None, "avg(3)"),
    "top": ("max", "4", None, "max(4)"),
    "middle": ("median", "5", None, "median(5)"),
    "big_ones": ("sum", "1", "amount > 6", "sum(1) filter (where amount > 6)"),
}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "onpace.yml").write_text("name: constants\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\n")
    measures = "".join(
        f'      - {{name: {name}, agg: {agg}, expr: "{expr}"' + (f', filter: "{flt}"' if flt else "") + "}\n"
        for name, (agg, expr, flt, _) in MEASURES.items()
    )
    metrics = "".join(f"  - {{name: {name}, measure: lines.{name}}}\n" for name in MEASURES)
    (tmp_path / "models" / "m.yml").write_text(
        "datasets:\n  - name: lines\n    table: lines\n    time: day\n"
        "    dimensions: [{name: day, column: day, type: time}, {name: region, column: region}]\n"
        f"    measures:\n{measures}metrics:\n{metrics}"
    )
    con = duckdb.connect(str(tmp_path / "data.duckdb"))
    con.execute("""create table lines as select * from (values
        (date '2024-01-05', 'EU', 5.0), (date '2024-01-05', 'US', 7.0), (date '2024-01-07', 'EU', 11.0),
        (date '2024-01-07', 'EU', 2.0), (date '2024-01-08', null, 9.0)
    ) t(day, region, amount)""")
    con.close()
    return tmp_path


def by_hand(root: Path, by: str) -> dict[str, dict[str, float | None]]:
    con = duckdb.connect(str(root / "data.duckdb"), read_only=True)
    sql = ", ".join(f"{sql} as {name}" for name, (_, _, _, sql) in MEASURES.items())
    rows = con.execute(f"select cast({by} as varchar) as k, {sql} from lines group by 1").fetchall()
    con.close()
    return {
        row[0]: dict(zip(MEASURES, (None if v is None else float(v) for v in row[1:]), strict=True)) for row in rows
    }


def test_constant_measures_by_day_equal_hand_written_sql(project: Path) -> None:
    expected = by_hand(project, "day")
    with Engine(load_project(project)) as engine:
        got = engine.query(Query(metrics=list(MEASURES), grain="day")).to_pylist()
    ours = {str(r["period"]): {n: None if r[n] is None else float(r[n]) for n in MEASURES} for r in got}
    for day, values in expected.items():
        assert ours[day] == values, day
    # 2024-01-06 has no row: onpace fills the day (0 for sums and counts, no value for the others)
    assert ours["2024-01-06"]["rows"] == 0 and ours["2024-01-06"]["mean"] is None
    assert expected["2024-01-05"]["ones"] == 2 and expected["2024-01-07"]["big_ones"] == 1  # the SQL counts rows


def test_constant_measures_by_a_dimension_equal_hand_written_sql(project: Path) -> None:
    expected = by_hand(project, "region")
    with Engine(load_project(project)) as engine:
        got = engine.query(Query(metrics=list(MEASURES), dimensions=["region"])).to_pylist()
    ours = {r["region"]: {n: None if r[n] is None else float(r[n]) for n in MEASURES} for r in got}
    assert ours == expected

"""The TPC-H example's numbers from onpace against hand-written SQL (scale factor 0.01).

The references are written from the metric definitions and docs/engine-contract.md, not from
the engine's code: benchmarks/reference_sql.py for month x region (all metrics), and the small
queries below for year totals and weekly cumulative metrics. They are phrased differently from
the month one on purpose (windows as ranges of days rather than window functions over a
dense series), so that the references also check each other's reading of the rules.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import duckdb
import pyarrow as pa
import pytest

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.examples.tpch_data import generate

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCALE = 0.01


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"onpace_benchmarks_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference_sql = _load("reference_sql")
compare = _load("compare")
METRICS: list[str] = list(reference_sql.METRICS)


@pytest.fixture(scope="session")
def tpch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("tpch") / "project", SCALE)


@pytest.fixture(scope="session")
def engine(tpch_dir: Path) -> Iterator[Engine]:
    engine = Engine(load_project(tpch_dir))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def reference_db(tpch_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the data for the hand-written queries: the engine's own connection stays untouched."""
    copy = tmp_path_factory.mktemp("reference") / "tpch.duckdb"
    shutil.copyfile(tpch_dir / "data" / "tpch.duckdb", copy)
    return copy


@pytest.fixture
def con(reference_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(reference_db), read_only=True)
    yield con
    con.close()


def assert_same(expected: pa.Table, got: pa.Table) -> None:
    problems = compare.differences(expected, got, rel=1e-9)
    assert not problems, "onpace differs from the hand-written SQL:\n" + "\n".join(problems)
    assert got.schema == expected.schema, f"types differ:\n{got.schema}\nexpected\n{expected.schema}"


def test_example_project_is_generated(tpch_dir: Path, con: duckdb.DuckDBPyConnection) -> None:
    assert (tpch_dir / "onpace.yml").is_file()
    assert (tpch_dir / "models" / "metrics.yml").is_file()
    assert "data/" in (tpch_dir / ".gitignore").read_text()
    assert not list((tpch_dir / "data").glob("**/*.parquet"))
    tables = {row[0] for row in con.sql("SHOW TABLES").fetchall()}
    assert tables == {"region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}
    types = dict(
        con.sql("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'lineitem'").fetchall()
    )
    assert types["l_extendedprice"] == "DECIMAL(15,2)"
    assert types["l_shipdate"] == "DATE"


def test_generate_refuses_an_existing_project(tpch_dir: Path) -> None:
    from onpace.errors import UserError

    with pytest.raises(UserError, match=r"onpace\.yml"):
        generate(tpch_dir, SCALE)


def test_month_by_region_all_metrics(engine: Engine, con: duckdb.DuckDBPyConnection) -> None:
    expected = reference_sql.run(con)
    assert expected.num_rows == 80 * 5  # 1992-01 .. 1998-08, five regions
    got = engine.query(Query(metrics=METRICS, dimensions=["region"], grain="month"))
    assert_same(expected, got)


YEAR_SQL = """
WITH
lines AS (
    SELECT o.o_orderdate AS day,
           l.l_extendedprice * (1 - l.l_discount) AS revenue,
           l.l_receiptdate <= l.l_commitdate AS on_time,
           l.l_returnflag = 'R' AS returned
    FROM lineitem AS l JOIN orders AS o ON o.o_orderkey = l.l_orderkey
),
years AS (
    SELECT y AS period, LEAST(CAST(y + INTERVAL 1 YEAR - INTERVAL 1 DAY AS DATE), (SELECT MAX(day) FROM lines)) AS as_of
    FROM (SELECT DISTINCT CAST(date_trunc('year', o_orderdate) AS DATE) AS y FROM orders)
),
by_year AS (
    SELECT y.period,
           COALESCE(SUM(l.revenue) FILTER (WHERE date_trunc('year', l.day) = y.period), 0) AS revenue,
           COUNT(*) FILTER (WHERE date_trunc('year', l.day) = y.period) AS line_items,
           COUNT(*) FILTER (WHERE date_trunc('year', l.day) = y.period AND l.on_time) AS on_time_line_items,
           COUNT(*) FILTER (WHERE date_trunc('year', l.day) = y.period AND l.returned) AS returned_line_items,
           COALESCE(SUM(l.revenue) FILTER (WHERE l.day BETWEEN y.as_of - 27 AND y.as_of), 0) AS trailing_28d,
           COALESCE(SUM(l.revenue) FILTER (WHERE l.day BETWEEN date_trunc('month', y.as_of) AND y.as_of), 0) AS mtd
    FROM years AS y CROSS JOIN lines AS l
    GROUP BY y.period
),
order_year AS (
    SELECT CAST(date_trunc('year', o_orderdate) AS DATE) AS period,
           COUNT(DISTINCT o_orderkey) AS orders,
           COUNT(DISTINCT o_custkey) AS active_customers,
           quantile_cont(CAST(o_totalprice AS DOUBLE), 0.5) AS median_order_total
    FROM orders GROUP BY 1
)
SELECT
    b.period,
    CAST(b.revenue AS DOUBLE) AS revenue,
    o.orders,
    o.active_customers,
    CAST(b.revenue AS DOUBLE) / o.orders AS avg_order_value,
    b.line_items,
    b.on_time_line_items,
    b.returned_line_items,
    b.on_time_line_items / b.line_items AS on_time_delivery_rate,
    b.returned_line_items / b.line_items AS return_rate,
    CAST(b.trailing_28d AS DOUBLE) AS revenue_trailing_28d,
    CAST(b.mtd AS DOUBLE) AS revenue_mtd,
    CAST(b.revenue AS DOUBLE) / CAST(p.revenue AS DOUBLE) - 1 AS revenue_yoy_growth,
    o.median_order_total
FROM by_year AS b
JOIN order_year AS o USING (period)
LEFT JOIN by_year AS p ON p.period = b.period - INTERVAL 1 YEAR
ORDER BY b.period
"""


def test_year_totals_all_metrics(engine: Engine, con: duckdb.DuckDBPyConnection) -> None:
    expected = con.sql(YEAR_SQL).to_arrow_table()
    assert expected.column("period").to_pylist()[0].isoformat() == "1992-01-01"
    assert expected.num_rows == 7  # every year of TPC-H has orders: no empty year to fill
    got = engine.query(Query(metrics=METRICS, grain="year"))
    assert_same(expected, got)


# Weeks start on Monday. The data runs from 1992-01-01 (a Wednesday) to 1998-08-02 (a Sunday); without
# start/end the range is the data's own and the periods holding the first and the last row are both in it,
# so the first week is the one of 1991-12-30 (docs/engine-contract.md, "Range").
WEEK_SQL = """
WITH
lines AS (
    SELECT o.o_orderdate AS day, r.r_name AS region, l.l_extendedprice * (1 - l.l_discount) AS revenue
    FROM lineitem AS l
    JOIN orders AS o ON o.o_orderkey = l.l_orderkey
    JOIN customer AS c ON c.c_custkey = o.o_custkey
    JOIN nation AS n ON n.n_nationkey = c.c_nationkey
    JOIN region AS r ON r.r_regionkey = n.n_regionkey
),
weeks AS (
    SELECT CAST(w AS DATE) AS period,
           LEAST(CAST(w + INTERVAL 6 DAY AS DATE), (SELECT MAX(day) FROM lines)) AS as_of
    FROM UNNEST(generate_series(
        CAST(date_trunc('week', (SELECT MIN(o_orderdate) FROM orders)) AS TIMESTAMP),
        CAST((SELECT MAX(o_orderdate) FROM orders) AS TIMESTAMP),
        INTERVAL 7 DAY)) AS t(w)
),
spine AS (SELECT * FROM weeks CROSS JOIN (SELECT DISTINCT region FROM lines))
SELECT
    s.period,
    s.region,
    CAST(COALESCE(SUM(l.revenue) FILTER (WHERE l.day BETWEEN s.as_of - 27 AND s.as_of), 0) AS DOUBLE)
        AS revenue_trailing_28d,
    CAST(COALESCE(SUM(l.revenue) FILTER (WHERE l.day BETWEEN date_trunc('month', s.as_of) AND s.as_of), 0) AS DOUBLE)
        AS revenue_mtd
FROM spine AS s
LEFT JOIN lines AS l ON l.region = s.region AND l.day BETWEEN s.as_of - 40 AND s.as_of
GROUP BY s.period, s.region
ORDER BY s.period, s.region
"""


def test_week_by_region_cumulative(engine: Engine, con: duckdb.DuckDBPyConnection) -> None:
    expected = con.sql(WEEK_SQL).to_arrow_table()
    periods = expected.column("period").to_pylist()
    assert periods[0].isoformat() == "1991-12-30" and periods[-1].isoformat() == "1998-07-27"
    assert all(p.weekday() == 0 for p in periods)
    got = engine.query(Query(metrics=["revenue_trailing_28d", "revenue_mtd"], dimensions=["region"], grain="week"))
    assert_same(expected, got)

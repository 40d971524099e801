"""The same right number on every engine: where SQL dialects disagree by default.

- ``avg`` of an integer or decimal column: a float64 with full precision
  (PostgreSQL's AVG of an integer is a numeric, MariaDB's AVG of a decimal keeps
  only 4 more digits: 0.7508333 instead of 0.75083333…).
- A dataset defined with ``sql:`` reads on every engine (PostgreSQL's ibis
  connection could not learn its columns).
- ``round(x, n)`` rounds half away from zero (PostgreSQL and MariaDB round a
  float half to even: round(2.5) was 2 there, 3 on DuckDB).
- Text compares, groups and counts exactly (MariaDB's default collation ignores
  case and trailing spaces: 'SAVE10', 'save10' and 'SAVE10 ' were one value).

The rows are tiny and every expected number is worked out by hand in the
comments. PostgreSQL and MariaDB sources are opened through onpace's own
connection (the URL in onpace.yml, read-only), as a user's project is.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from decimal import Decimal
from typing import Any

import pytest
import yaml

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query

from .helpers import Loaded, assert_table, backend_fixtures, create_table_sql, d

ROWS: list[tuple[dt.date, str, Decimal, int, float]] = [
    # day, coupon, amount DECIMAL(12,3), qty INTEGER, ratio DOUBLE
    (d("2024-01-01"), "SAVE10", Decimal("2.500"), 1, 2.5),
    (d("2024-01-02"), "save10", Decimal("3.500"), 2, 3.5),
    (d("2024-01-03"), "SAVE10 ", Decimal("-2.500"), 2, -2.5),  # a trailing space
    (d("2024-01-04"), "other", Decimal("0.125"), 1, 0.125),
    (d("2024-01-05"), "other", Decimal("-0.125"), 1, -0.125),
    (d("2024-01-06"), "SAVE10", Decimal("1.005"), 3, 0.625),  # 0.625 = 5/8: exact in binary
]

COLUMN_TYPES = {
    "duckdb": ("DATE", "VARCHAR", "DECIMAL(12,3)", "INTEGER", "DOUBLE"),
    "postgres": ("DATE", "VARCHAR(16)", "NUMERIC(12,3)", "INTEGER", "DOUBLE PRECISION"),
    # the database's default collation (utf8mb4_general_ci here: case-insensitive, PAD SPACE)
    "mysql": ("DATE", "VARCHAR(16)", "DECIMAL(12,3)", "INT", "DOUBLE"),
}
COLUMNS = ("d", "coupon", "amount", "qty", "ratio")
SPARK_SCHEMA = "d DATE, coupon STRING, amount DECIMAL(12,3), qty INT, ratio DOUBLE"

MEASURES = """
      - {name: rows, agg: count}
      - {name: avg_qty, agg: avg, expr: qty}
      - {name: avg_amount, agg: avg, expr: amount}
      - {name: round0, agg: sum, expr: "round(amount)"}
      - {name: round2, agg: sum, expr: "round(amount, 2)"}
      - {name: fround0, agg: sum, expr: "round(ratio, 0)"}
      - {name: fround2, agg: sum, expr: "round(ratio, 2)"}
      - {name: iround, agg: sum, expr: "round(qty * 25, -1)"}
      - {name: coupons, agg: count_distinct, expr: coupon}
      - {name: like_save, agg: count, filter: "coupon like 'save%'"}
      - {name: is_save10, agg: count, filter: "coupon = 'SAVE10'"}
      - {name: not_save10, agg: count, filter: "coupon != 'SAVE10'"}
      - {name: in_save10, agg: count, filter: "coupon in ('save10')"}
      - {name: single_rows, agg: count, filter: "qty = 1"}
      - {name: multi_rows, agg: count, filter: "qty >= 2"}
"""

MODELS = """
datasets:
  - name: sales
    table: {table}
    time: day
    keys: [{{name: coupon_key, column: coupon}}]
    dimensions:
      - {{name: day, column: d, type: time}}
      - {{name: coupon, column: coupon}}
    measures:{measures}
  - name: sales_sql
    sql: "SELECT d AS sql_d, coupon AS sql_coupon, amount, qty, ratio FROM {table} WHERE qty >= 2"
    time: sql_day
    dimensions:
      - {{name: sql_day, column: sql_d, type: time}}
      - {{name: sql_coupon, column: sql_coupon}}
    measures:
      - {{name: sql_rows, agg: count}}
      - {{name: sql_avg_qty, agg: avg, expr: qty}}
      - {{name: sql_round0, agg: sum, expr: "round(amount)"}}
      - {{name: sql_coupons, agg: count_distinct, expr: sql_coupon}}
"""


def _metrics_yaml(models: str) -> str:
    """Every measure as a metric of the same name."""
    raw = yaml.safe_load(models)
    metrics = [
        {"name": measure["name"], "measure": f"{ds['name']}.{measure['name']}"}
        for ds in raw["datasets"]
        for measure in ds["measures"]
    ]
    return models + "\n" + yaml.safe_dump({"metrics": metrics}, sort_keys=False)


# offsets to the start of a period: each engine's own date truncation (a week starts on Monday)
START_OF = """
- {name: rows_at_week_start, type: derived, expr: s, inputs: [{metric: rows, alias: s, offset: start of week}]}
- {name: qty_at_month_start, type: derived, expr: s, inputs: [{metric: qty_sum, alias: s, offset: start of month}]}
- {name: qty_sum, dataset: sales, agg: sum, expr: qty}
- {name: coupon_conversions, type: conversion, base: single_rows, conversion: multi_rows, entity: coupon_key,
   window: 7 days, calculation: conversions}
"""


def _models(table: str) -> str:
    """The models.yml of the project reading ``table``."""
    return _metrics_yaml(MODELS.format(table=table, measures=MEASURES.rstrip())) + START_OF.lstrip("\n")


# the fixtures: loaded (the rows in a table of each backend, a project reading them) and engine
loaded, engine = backend_fixtures(
    "dialects", "onpace_dialects", create_table_sql(COLUMNS, COLUMN_TYPES), ROWS, SPARK_SCHEMA, _models
)


def _query(engine: Engine, metrics: list[str], dimensions: list[str] | None = None, grain: str | None = None) -> Any:
    return engine.query(Query(metrics=metrics, dimensions=dimensions or [], grain=grain))


def test_avg_is_a_full_precision_float(engine: Engine) -> None:
    table = _query(engine, ["avg_qty", "avg_amount", "sql_avg_qty"])
    assert_table(
        table,
        ["avg_qty", "avg_amount", "sql_avg_qty"],
        [
            (
                10 / 6,  # qty 1 + 2 + 2 + 1 + 1 + 3 = 10 over 6 rows (an integer column: not 1 or 1.6667)
                4.505 / 6,  # 2.5 + 3.5 - 2.5 + 0.125 - 0.125 + 1.005 = 4.505 over 6 rows (not 0.7508333)
                7 / 3,  # the sql dataset keeps qty >= 2: 2 + 2 + 3 over 3 rows
            )
        ],
    )


def test_a_dataset_defined_by_sql(engine: Engine) -> None:
    table = _query(engine, ["sql_rows", "sql_round0"], grain="month")
    # rows with qty >= 2: 3.500, -2.500, 1.005; rounded half away from zero: 4 - 3 + 1 = 2
    assert_table(table, ["period", "sql_rows", "sql_round0"], [(d("2024-01-01"), 3, 2.0)])


def test_round_is_half_away_from_zero(engine: Engine) -> None:
    metrics = ["round0", "round2", "fround0", "fround2", "iround"]
    table = _query(engine, metrics, grain="day")
    assert_table(
        table,
        ["period", *metrics],
        [
            # decimal 2.500 and float 2.5: 3 (half to even: 2); qty 1 * 25 = 25 -> 30 (even: 20)
            (d("2024-01-01"), 3.0, 2.5, 3.0, 2.5, 30.0),
            # 3.5: 4 either way; 50 -> 50
            (d("2024-01-02"), 4.0, 3.5, 4.0, 3.5, 50.0),
            # -2.5: -3 (half to even: -2)
            (d("2024-01-03"), -3.0, -2.5, -3.0, -2.5, 50.0),
            # 0.125 at 2 digits: 0.13 (half to even: 0.12); 25 -> 30
            (d("2024-01-04"), 0.0, 0.13, 0.0, 0.13, 30.0),
            (d("2024-01-05"), 0.0, -0.13, 0.0, -0.13, 30.0),
            # decimal 1.005 -> 1.01 (half to even: 1.00); float 0.625 -> 1 and 0.63 (even: 0.62); 75 -> 80
            (d("2024-01-06"), 1.0, 1.01, 1.0, 0.63, 80.0),
        ],
    )


def test_round_to_zero_is_not_negative_zero(engine: Engine) -> None:
    # round(-0.125) is 0, not -0 (shown as "-0"): the sign of zero is dropped on every engine
    table = engine.query(Query(metrics=["round0", "fround0"], grain="day", start=d("2024-01-05"), end=d("2024-01-05")))
    for name in ("round0", "fround0"):
        value = table.column(name)[0].as_py()
        assert value == 0.0 and math.copysign(1.0, value) == 1.0, (name, value)


def test_round_totals(engine: Engine) -> None:
    table = _query(engine, ["round2", "fround2"])
    # 2.5 + 3.5 - 2.5 + 0.13 - 0.13 + 1.01 = 4.51; floats: ... + 0.63 = 4.13
    assert_table(table, ["round2", "fround2"], [(4.51, 4.13)])


def test_text_groups_exactly(engine: Engine) -> None:
    table = _query(engine, ["rows", "round0"], dimensions=["coupon"])
    assert_table(
        table,
        ["coupon", "rows", "round0"],
        [
            # sorted by code point: upper case before lower case, 'SAVE10' before 'SAVE10 '
            ("SAVE10", 2, 4.0),  # 2.500 -> 3, 1.005 -> 1
            ("SAVE10 ", 1, -3.0),
            ("other", 2, 0.0),
            ("save10", 1, 4.0),
        ],
    )


def test_text_compares_and_counts_exactly(engine: Engine) -> None:
    metrics = ["coupons", "like_save", "is_save10", "not_save10", "in_save10", "sql_coupons"]
    table = _query(engine, metrics)
    assert_table(
        table,
        metrics,
        [
            (
                4,  # SAVE10, save10, 'SAVE10 ', other
                1,  # like 'save%': save10 only
                2,  # = 'SAVE10': rows 1 and 6 (not 'SAVE10 ', not save10)
                4,  # != 'SAVE10': save10, 'SAVE10 ', other, other
                1,  # in ('save10')
                3,  # the sql dataset keeps qty >= 2: save10, 'SAVE10 ', SAVE10
            )
        ],
    )


def test_a_dataset_defined_by_sql_on_a_plain_ibis_connection(loaded: Loaded, request: pytest.FixtureRequest) -> None:
    """Connections injected into the Engine (``backends=``) need not come from onpace's connect."""
    import ibis
    from tests.integration.loaders import mysql_params, postgres_params

    if loaded.backend == "spark":  # the module's engine already runs on the session's plain ibis connection
        _check_sql_rows(request.getfixturevalue("engine"))
        return
    if loaded.backend == "postgres":
        con = ibis.postgres.connect(**postgres_params(loaded.url))
    elif loaded.backend == "mysql":
        con = ibis.mysql.connect(**mysql_params(loaded.url))
    else:  # DuckDB, on a copy: this process holds the file already, with onpace's configuration
        copy = loaded.root / "plain.duckdb"
        shutil.copyfile(loaded.root / "data.duckdb", copy)
        con = ibis.duckdb.connect(str(copy))
    made = Engine(load_project(loaded.root, env={}), backends={"warehouse": con})
    try:
        _check_sql_rows(made)
    finally:
        made.close()
        con.disconnect()


def _check_sql_rows(made: Engine) -> None:
    table = _query(made, ["sql_rows", "sql_avg_qty", "sql_coupons"], dimensions=["sql_coupon"])
    assert_table(
        table,
        ["sql_coupon", "sql_rows", "sql_avg_qty", "sql_coupons"],
        [("SAVE10", 1, 3.0, 1), ("SAVE10 ", 1, 2.0, 1), ("save10", 1, 2.0, 1)],
    )


def test_offsets_to_the_start_of_a_week_and_a_month(engine: Engine) -> None:
    table = _query(engine, ["rows_at_week_start", "qty_at_month_start"], grain="day")
    rows = table.to_pylist()
    # Mon 2024-01-01 .. Sat 01-06: every day reads Monday Jan 1 (1 row, qty 1); a week starting on
    # Sunday would read Dec 31 (nothing), a month start other than the 1st another day's qty (2 or 3)
    assert [r["period"] for r in rows] == [d(f"2024-01-0{i}") for i in range(1, 7)]
    assert [r["rows_at_week_start"] for r in rows] == [1.0] * 6
    assert [r["qty_at_month_start"] for r in rows] == [1.0] * 6


def test_a_time_dimension_at_a_grain_is_a_date(engine: Engine) -> None:
    # all six rows fall in the week of Monday Jan 1 and in January; day__day is the day itself
    for dimension in ("day__week", "day__month", "day__year"):
        rows = _query(engine, ["rows"], [dimension]).to_pylist()
        assert rows == [{dimension: d("2024-01-01"), "rows": 6}], dimension
    by_day = _query(engine, ["rows"], ["day__day"]).to_pylist()
    assert sorted((r["day__day"], r["rows"]) for r in by_day) == [(d(f"2024-01-0{i}"), 1) for i in range(1, 7)]


def test_a_conversion_joins_its_entity_exactly(engine: Engine) -> None:
    # base events: the rows of qty 1 (Jan 1 'SAVE10', Jan 4 and 5 'other'); conversion events: qty >= 2
    # (Jan 2 'save10', Jan 3 'SAVE10 ', Jan 6 'SAVE10'). Only Jan 6 has a base event of its own coupon
    # (Jan 1, 5 days before); a case- or space-blind join would count Jan 2 and Jan 3 too (3)
    rows = _query(engine, ["coupon_conversions"], grain="day").to_pylist()
    assert {r["period"]: r["coupon_conversions"] for r in rows if r["coupon_conversions"]} == {d("2024-01-01"): 1}
    assert _query(engine, ["coupon_conversions"]).to_pylist() == [{"coupon_conversions": 1}]

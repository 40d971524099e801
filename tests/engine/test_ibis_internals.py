"""What the engine takes from ibis internals behaves as the engine needs (see onpace/engine/ibis_internals.py).

These break first when an ibis upgrade changes an internal, before any query answers wrongly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import urlparse

import ibis
import pyarrow as pa
import pytest

from onpace.engine.connect import _postgres_params
from onpace.engine.ibis_internals import can_run_duckdb_directly, duckdb_to_arrow, memtables_of, named_memtable
from onpace.engine.spine import date_table
from onpace.engine.text import MARIADB_COLLATION, exact, text_collation

JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)


@pytest.fixture()
def duckdb() -> Iterator[ibis.BaseBackend]:
    con = ibis.duckdb.connect()
    con.raw_sql(
        "CREATE TABLE sales AS SELECT * FROM (VALUES (DATE '2024-01-05', 3.0), (DATE '2024-02-07', 4.0)) t(day, amount)"
    )
    try:
        yield con
    finally:
        con.disconnect()


def test_a_named_memtable_keeps_its_name_in_the_sql_and_its_rows() -> None:
    arrow = pa.table({"p": pa.array([JAN, FEB], pa.date32())})
    table = named_memtable("onpace_test_periods", arrow)
    assert table.schema() == ibis.schema({"p": "date"})
    assert '"onpace_test_periods"' in ibis.to_sql(table, dialect="duckdb")
    assert memtables_of(table) == {"onpace_test_periods": arrow}


def test_date_tables_are_named_by_their_contents() -> None:
    first = date_table("periods", {"__p": [JAN, FEB]})
    assert date_table("periods", {"__p": [JAN, FEB]}) is first  # the very same table
    other = date_table("periods", {"__p": [FEB]})
    (name,) = memtables_of(first)
    (other_name,) = memtables_of(other)
    assert name.startswith("onpace_periods_") and other_name.startswith("onpace_periods_") and name != other_name
    assert ibis.to_sql(first, dialect="duckdb") == ibis.to_sql(date_table("periods", {"__p": [JAN, FEB]}))


def test_memtables_of_a_query_lists_every_one_with_its_rows(duckdb: ibis.BaseBackend) -> None:
    sales = duckdb.table("sales")
    periods, days = date_table("p", {"__p": [JAN, FEB]}), date_table("d", {"__d": [JAN]})
    expr = periods.cross_join(days).join(sales, periods["__p"] <= sales["day"])
    found = memtables_of(expr)
    assert sorted(found) == sorted([*memtables_of(periods), *memtables_of(days)])
    assert {name: table.column(0).to_pylist() for name, table in found.items()} == {
        next(iter(memtables_of(periods))): [JAN, FEB],
        next(iter(memtables_of(days))): [JAN],
    }


def test_duckdb_runs_straight_to_arrow_with_the_public_api_s_answer(duckdb: ibis.BaseBackend) -> None:
    sales = duckdb.table("sales")
    periods = date_table("p", {"__p": [JAN, FEB]})
    expr = (
        periods.join(sales, sales["day"].year() == periods["__p"].year())
        .group_by("__p")
        .agg(total=sales["amount"].sum())
    )
    expr = expr.order_by("__p")
    assert can_run_duckdb_directly(duckdb)
    direct = duckdb_to_arrow(duckdb, expr)
    assert direct.to_pylist() == [{"__p": JAN, "total": 7.0}, {"__p": FEB, "total": 7.0}]  # 3 + 4 for each period
    assert direct.to_pylist() == duckdb.to_pyarrow(expr).to_pylist()
    assert not can_run_duckdb_directly(object())


def test_text_needs_no_collation_outside_mysql(duckdb: ibis.BaseBackend) -> None:
    assert text_collation(duckdb.table("sales")) is None
    assert text_collation(ibis.table({"a": "string"}, name="unbound")) is None


def test_exact_text_is_written_with_its_collation_in_mysql_sql() -> None:
    table = ibis.table({"code": "string", "n": "int64"}, name="t")
    expr = table.select(code=exact(table["code"], MARIADB_COLLATION))
    sql = ibis.to_sql(expr, dialect="mysql")
    assert "COLLATE utf8mb4_nopad_bin" in sql and "CHARACTER SET utf8mb4" in sql
    assert exact(table["n"], MARIADB_COLLATION).equals(table["n"])  # numbers compare exactly already
    assert exact(table["code"], None).equals(table["code"])  # an engine that needs nothing


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://ann:p%40ss+word@db.example:6543/sales/analytics",
            {
                "user": "ann",
                "password": "p@ss word",
                "host": "db.example",
                "port": 6543,
                "database": "sales",
                "schema": "analytics",
            },
        ),
        ("postgres://db.example/sales", {"host": "db.example", "database": "sales"}),
        ("postgres://localhost", {"host": "localhost"}),
    ],
)
def test_postgres_urls_become_connect_arguments(url: str, expected: dict[str, object]) -> None:
    assert _postgres_params(urlparse(url)) == expected

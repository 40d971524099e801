"""Write the dataset of :mod:`.dataset` into DuckDB, PostgreSQL, MariaDB/MySQL and Spark.

Every backend gets the same rows with equivalent column types (DATE, DECIMAL(p,s),
INTEGER, VARCHAR), in tables named ``onpace_it_<table>``. The shared servers
(PostgreSQL, MariaDB) keep the tables between runs: a loader takes a database
lock, and reloads only when the fingerprint stored beside the tables differs
from the dataset's, so runs that overlap never drop tables under each other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .dataset import TABLE_PREFIX, ColumnType, Table, fingerprint, tables

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

META_TABLE = TABLE_PREFIX + "meta"
LOCK_NAME = "onpace_integration_data"
LOCK_TIMEOUT_S = 300

SQL_TYPES: dict[str, dict[ColumnType, str]] = {
    "duckdb": {
        "integer": "INTEGER",
        "varchar": "VARCHAR",
        "date": "DATE",
        "decimal(12,2)": "DECIMAL(12,2)",
        "decimal(4,2)": "DECIMAL(4,2)",
    },
    "postgres": {
        "integer": "INTEGER",
        "varchar": "VARCHAR(32)",
        "date": "DATE",
        "decimal(12,2)": "NUMERIC(12,2)",
        "decimal(4,2)": "NUMERIC(4,2)",
    },
    "mysql": {
        "integer": "INT",
        "varchar": "VARCHAR(32)",
        "date": "DATE",
        "decimal(12,2)": "DECIMAL(12,2)",
        "decimal(4,2)": "DECIMAL(4,2)",
    },
}


def create_statement(table: Table, dialect: str, name: str | None = None) -> str:
    columns = ", ".join(f"{col} {SQL_TYPES[dialect][kind]}" for col, kind in table.columns)
    return f"CREATE TABLE {name or table.backend_name} ({columns})"


def _insert_statement(table: Table, placeholder: str) -> str:
    names = ", ".join(col for col, _ in table.columns)
    marks = ", ".join(placeholder for _ in table.columns)
    return f"INSERT INTO {table.backend_name} ({names}) VALUES ({marks})"


#: Helpers of the check SQL, created in the DuckDB copy (hand-written, independent of the engine).
CHECK_SQL_MACROS = (
    # the first days of the periods from first_day to last_day, one every step (an INTERVAL)
    "CREATE MACRO spine(first_day, last_day, step) AS TABLE"
    " SELECT CAST(range AS DATE) AS period"
    " FROM range(CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP) + INTERVAL 1 DAY, step)",
    # date_trunc on a DATE gives a TIMESTAMP in DuckDB: this one gives a DATE
    "CREATE MACRO period_start(part, day) AS CAST(date_trunc(part, day) AS DATE)",
    # the Sunday starting the week of day
    "CREATE MACRO sunday_week(day) AS CAST(date_trunc('week', day + 1) AS DATE) - 1",
    # the first day of the fiscal year (starting in April) of day
    "CREATE MACRO april_year(day) AS make_date(year(day) - CASE WHEN month(day) < 4 THEN 1 ELSE 0 END, 4, 1)",
)


def load_duckdb(path: Path) -> None:
    """Create the tables in a new DuckDB file, plus, for the check SQL, views under the plain names and macros."""
    import duckdb
    import pyarrow as pa

    kinds: dict[ColumnType, pa.DataType] = {
        "integer": pa.int32(),
        "varchar": pa.string(),
        "date": pa.date32(),
        "decimal(12,2)": pa.decimal128(12, 2),
        "decimal(4,2)": pa.decimal128(4, 2),
    }
    con = duckdb.connect(str(path))
    try:
        for table in tables():
            schema = pa.schema([(col, kinds[kind]) for col, kind in table.columns])
            rows = pa.Table.from_pylist([dict(zip(schema.names, row, strict=True)) for row in table.rows], schema)
            con.execute(create_statement(table, "duckdb"))
            con.register("staged_rows", rows)
            con.execute(f"INSERT INTO {table.backend_name} SELECT * FROM staged_rows")
            con.unregister("staged_rows")
            con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM {table.backend_name}")
        for macro in CHECK_SQL_MACROS:
            con.execute(macro)
    finally:
        con.close()


def load_postgres(url: str) -> None:
    """(Re)create the tables in the PostgreSQL database unless they already hold this dataset."""
    import psycopg

    with psycopg.connect(url) as conn:  # one transaction: others see the old tables or the new ones
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (LOCK_NAME,))

        def fetch(sql: str) -> list[tuple[Any, ...]]:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

        if _stored_fingerprint(fetch) == fingerprint():
            return
        for table in tables():
            conn.execute(f"DROP TABLE IF EXISTS {table.backend_name}")
            conn.execute(create_statement(table, "postgres"))
            names = ", ".join(col for col, _ in table.columns)
            with conn.cursor().copy(f"COPY {table.backend_name} ({names}) FROM STDIN") as copy:
                for row in table.rows:
                    copy.write_row(row)
        _store_fingerprint(lambda sql, *args: conn.execute(sql, args), "%s")


def load_mysql(url: str) -> None:
    """(Re)create the tables in the MariaDB/MySQL database unless they already hold this dataset."""
    conn = connect_mysql(url)
    try:
        cur = conn.cursor()
        cur.execute("SELECT GET_LOCK(%s, %s)", (LOCK_NAME, LOCK_TIMEOUT_S))
        if cur.fetchall()[0][0] != 1:
            raise RuntimeError(f"could not take the MySQL lock {LOCK_NAME!r} within {LOCK_TIMEOUT_S} s")
        try:

            def fetch(sql: str) -> list[tuple[Any, ...]]:
                cur.execute(sql)
                return list(cur.fetchall())

            if _stored_fingerprint(fetch) == fingerprint():
                return
            for table in tables():
                cur.execute(f"DROP TABLE IF EXISTS {table.backend_name}")
                cur.execute(create_statement(table, "mysql"))
                cur.executemany(_insert_statement(table, "%s"), list(table.rows))
            _store_fingerprint(lambda sql, *args: cur.execute(sql, args), "%s")
            conn.commit()
        finally:
            cur.execute("SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))
            cur.fetchall()
    finally:
        conn.close()


def _stored_fingerprint(fetch: Callable[[str], list[tuple[Any, ...]]]) -> str | None:
    fetch(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (fingerprint VARCHAR(64))")
    rows = fetch(f"SELECT fingerprint FROM {META_TABLE}")
    return str(rows[0][0]) if len(rows) == 1 else None


def _store_fingerprint(execute: Callable[..., object], placeholder: str) -> None:
    execute(f"DELETE FROM {META_TABLE}")
    execute(f"INSERT INTO {META_TABLE} (fingerprint) VALUES ({placeholder})", fingerprint())


def mysql_params(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/"),
    }


def postgres_params(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password) if parts.password else None,
        "database": parts.path.lstrip("/"),
    }


def connect_mysql(url: str) -> Any:
    import MySQLdb

    return MySQLdb.connect(**mysql_params(url))


def load_spark(spark: SparkSession) -> None:
    """Register the tables as temporary views of the session."""
    from pyspark.sql import types as T

    kinds: dict[ColumnType, T.DataType] = {
        "integer": T.IntegerType(),
        "varchar": T.StringType(),
        "date": T.DateType(),
        "decimal(12,2)": T.DecimalType(12, 2),
        "decimal(4,2)": T.DecimalType(4, 2),
    }
    for table in tables():
        schema = T.StructType([T.StructField(col, kinds[kind], nullable=True) for col, kind in table.columns])
        spark.createDataFrame(list(table.rows), schema=schema).createOrReplaceTempView(table.backend_name)

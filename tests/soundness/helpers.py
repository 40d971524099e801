"""Helpers of the soundness suite: tiny DuckDB projects written by each test.

Every test builds its own project in ``tmp_path``: a DuckDB file with a few
hand-made rows, an ``onpace.yml`` and one ``models/models.yml``. Expected numbers
come from the test itself (arithmetic by hand, or hand-written SQL run by
:meth:`SoundProject.reference` on a copy of the data), never from the engine.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pytest
import yaml

from onpace.catalog.project import Project, load_project

if TYPE_CHECKING:
    from onpace.engine import Engine

Rows = Sequence[Mapping[str, Any]]
Tables = Mapping[str, Rows] | str


def d(text: str) -> dt.date:
    """A date from 'YYYY-MM-DD' (short, to keep expected tables readable)."""
    return dt.date.fromisoformat(text)


class SoundProject:
    """A project on disk, its engine (opened on first query) and a reference copy of the data."""

    def __init__(self, root: Path, reference_db: Path) -> None:
        self.root = root
        self.reference_db = reference_db
        self.project: Project = load_project(root, env={})
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from onpace.engine import Engine

            self._engine = Engine(self.project)
        return self._engine

    def query(
        self,
        metrics: Sequence[str],
        dimensions: Sequence[str] = (),
        grain: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        where: str | None = None,
    ) -> pa.Table:
        from onpace.engine import Query

        query = Query(
            metrics=list(metrics), dimensions=list(dimensions), grain=grain, start=start, end=end, where=where
        )
        return self.engine.query(query)

    def reference(self, sql: str) -> list[tuple[Any, ...]]:
        """Run hand-written SQL on a copy of the data (the engine never reads this file)."""
        con = duckdb.connect(str(self.reference_db))
        try:
            return con.sql(sql).fetchall()
        finally:
            con.close()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def write_tables(db: Path, tables: Tables) -> None:
    """Create the tables: ``{name: [row dicts]}`` (types inferred by pyarrow) or SQL statements."""
    con = duckdb.connect(str(db))
    try:
        if isinstance(tables, str):
            con.execute(tables)
        else:
            for name, rows in tables.items():
                arrow = pa.Table.from_pylist([dict(r) for r in rows])
                con.register("_soundness_rows", arrow)
                con.execute(f'create table "{name}" as select * from _soundness_rows')
                con.unregister("_soundness_rows")
    finally:
        con.close()


def build_project(
    root: Path,
    reference_db: Path,
    tables: Tables,
    models_yaml: str,
    calendar: Mapping[str, Any] | None = None,
) -> SoundProject:
    (root / "models").mkdir(parents=True)
    write_tables(root / "data.duckdb", tables)
    shutil.copyfile(root / "data.duckdb", reference_db)
    config: dict[str, Any] = {
        "name": "soundness",
        "sources": {"warehouse": {"url": "duckdb:///data.duckdb"}},
    }
    if calendar is not None:
        config["calendar"] = dict(calendar)
    (root / "onpace.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "models" / "models.yml").write_text(models_yaml)
    return SoundProject(root, reference_db)


def _same(got: Any, want: Any) -> bool:
    if want is None:
        return got is None
    if got is None:
        return False
    if isinstance(want, float):
        if not isinstance(got, (int, float)) or isinstance(got, bool) or math.isnan(got):
            return False
        return bool(got == pytest.approx(want, rel=1e-12, abs=1e-12))
    return bool(got == want)


def assert_table(table: pa.Table, columns: Sequence[str], expected: Sequence[Sequence[Any]]) -> None:
    """The table has exactly these columns (in order) and rows (in order).

    A float expected value is compared with a relative tolerance of 1e-12; ``None``
    must be a null (not 0, not NaN); anything else must be equal.
    """
    assert table.column_names == list(columns), f"columns {table.column_names} != {list(columns)}"
    got_rows = [tuple(row[c] for c in columns) for row in table.to_pylist()]
    want_rows = [tuple(row) for row in expected]
    problems = []
    if len(got_rows) != len(want_rows):
        problems.append(f"{len(got_rows)} rows, expected {len(want_rows)}")
    for i, (got, want) in enumerate(zip(got_rows, want_rows, strict=False)):
        for col, g, w in zip(columns, got, want, strict=True):
            if not _same(g, w):
                problems.append(f"row {i} {want[: len(columns) - 1]!r}: column {col!r} is {g!r}, expected {w!r}")
    if problems:
        dump = "\n".join(f"  {row}" for row in got_rows)
        raise AssertionError("\n".join(problems) + f"\ngot rows:\n{dump}")


def column(table: pa.Table, name: str) -> list[Any]:
    return list(table.column(name).to_pylist())


MakeProject = Callable[..., SoundProject]


def load_rows_into(
    backend: str,
    request: pytest.FixtureRequest,
    root: Path,
    table: str,
    create_sql: Callable[[str, str], str],
    rows: Sequence[tuple[Any, ...]],
    spark_fields: Sequence[Any] | str,
) -> tuple[str, dict[str, Any], list[Callable[[], None]]]:
    """``rows`` in a new ``table`` of ``backend`` (duckdb, postgres, mysql or spark).

    Returns the source URL a project reads it with (DuckDB: ``root/data.duckdb``), the
    connections to inject into its Engine (Spark's session), and the steps that drop the table.
    ``create_sql(dialect, table)`` is the CREATE TABLE statement; ``spark_fields`` the
    pyspark StructFields of the columns, or Spark's DDL of them (``"d DATE, amount INT"``).
    A timestamp without a time zone reads on Spark as written (Spark is given its instant in UTC,
    the session's time zone).
    """
    marks = ", ".join(["?"] * len(rows[0]))
    cleanup: list[Callable[[], None]] = []
    injected: dict[str, Any] = {}
    if backend == "duckdb":
        con = duckdb.connect(str(root / "data.duckdb"))
        con.execute(create_sql("duckdb", table))
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        con.close()
        return "duckdb:///data.duckdb", injected, cleanup
    params = marks.replace("?", "%s")
    if backend == "postgres":
        import psycopg

        url = request.getfixturevalue("pg_url")
        with psycopg.connect(url) as conn:
            conn.execute(create_sql("postgres", table))
            with conn.cursor() as cur:
                cur.executemany(f"INSERT INTO {table} VALUES ({params})", rows)

        def drop_pg() -> None:
            with psycopg.connect(url) as conn:
                conn.execute(f"DROP TABLE IF EXISTS {table}")

        cleanup.append(drop_pg)
        return url, injected, cleanup
    if backend == "mysql":
        import MySQLdb
        from tests.integration.loaders import mysql_params

        url = request.getfixturevalue("mysql_url")
        conn = MySQLdb.connect(**mysql_params(url))
        try:
            cursor = conn.cursor()
            cursor.execute(create_sql("mysql", table))
            cursor.executemany(f"INSERT INTO {table} VALUES ({params})", rows)
            conn.commit()
        finally:
            conn.close()

        def drop_mysql() -> None:
            conn = MySQLdb.connect(**mysql_params(url))
            try:
                conn.cursor().execute(f"DROP TABLE IF EXISTS {table}")
            finally:
                conn.close()

        cleanup.append(drop_mysql)
        return url, injected, cleanup
    import ibis
    from pyspark.sql import types as T

    spark = request.getfixturevalue("spark_session")
    if any(_naive_timestamp(value) for row in rows for value in row):
        # the session reads and shows timestamps in UTC (tests/conftest.py): give Spark the
        # instants of those wall-clock times in UTC, so the rows read exactly as written
        assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
        rows = [tuple(v.replace(tzinfo=dt.UTC) if _naive_timestamp(v) else v for v in row) for row in rows]
    schema = spark_fields if isinstance(spark_fields, str) else T.StructType(list(spark_fields))
    spark.createDataFrame(list(rows), schema=schema).createOrReplaceTempView(table)
    cleanup.append(lambda: spark.catalog.dropTempView(table))
    injected["warehouse"] = ibis.pyspark.connect(spark)
    return "spark://local[2]", injected, cleanup


def _naive_timestamp(value: Any) -> bool:
    return isinstance(value, dt.datetime) and value.tzinfo is None


BACKENDS = ["duckdb", "postgres", "mysql", "spark"]


def create_table_sql(columns: Sequence[str], column_types: Mapping[str, Sequence[str]]) -> Callable[[str, str], str]:
    """``create_sql`` for :func:`load_rows_into`: ``columns`` typed by ``column_types[dialect]``."""

    def create_sql(dialect: str, table: str) -> str:
        typed = ", ".join(f"{c} {t}" for c, t in zip(columns, column_types[dialect], strict=True))
        return f"CREATE TABLE {table} ({typed})"

    return create_sql


def write_project(root: Path, name: str, url: str, models_yaml: str) -> None:
    """``onpace.yml`` (one source, ``warehouse``, at ``url``) and ``models/models.yml`` in ``root``."""
    (root / "models").mkdir(parents=True)
    config = {"name": name, "sources": {"warehouse": {"url": url}}}
    (root / "onpace.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "models" / "models.yml").write_text(models_yaml)


@dataclass
class Loaded:
    """Rows in a table of a backend, and a project in ``root`` reading them."""

    backend: str
    url: str
    table: str
    root: Path
    injected: dict[str, Any]


@contextmanager
def backend_project(
    backend: str,
    request: pytest.FixtureRequest,
    root: Path,
    table_prefix: str,
    create_sql: Callable[[str, str], str],
    rows: Sequence[tuple[Any, ...]],
    spark_fields: Sequence[Any] | str,
    project_name: str,
    models: str | Callable[[str], str],
) -> Iterator[Loaded]:
    """``rows`` in a new table ``<table_prefix>_<random>`` of ``backend`` and a project in ``root`` reading it.

    ``models`` is the text of models.yml: a template with ``{table}``, or a function of the
    table's name. The table is dropped on exit.
    """
    table = f"{table_prefix}_{uuid.uuid4().hex[:10]}"  # runs that overlap never share a table
    url, injected, cleanup = load_rows_into(backend, request, root, table, create_sql, rows, spark_fields)
    try:
        write_project(root, project_name, url, models(table) if callable(models) else models.format(table=table))
        yield Loaded(backend, url, table, root, injected)
    finally:
        for step in cleanup:
            step()


@contextmanager
def open_engine(loaded: Loaded) -> Iterator[Engine]:
    """An engine on the project of ``loaded``, closed on exit. It never disconnects an injected
    connection (Spark's session is shared by the whole run)."""
    from onpace.engine import Engine

    with Engine(load_project(loaded.root, env={}), backends=loaded.injected) as made:
        yield made


def backend_fixtures(
    project_name: str,
    table_prefix: str,
    create_sql: Callable[[str, str], str],
    rows: Sequence[tuple[Any, ...]],
    spark_fields: Sequence[Any] | str,
    models: str | Callable[[str], str],
) -> tuple[Any, Any]:
    """The fixtures ``loaded`` and ``engine`` of a module: ``loaded, engine = backend_fixtures(...)``.

    ``loaded`` (module scope, one per backend of :data:`BACKENDS`) is :func:`backend_project`
    on the arguments; ``engine`` (module scope) is :func:`open_engine` on it.
    """

    @pytest.fixture(scope="module", params=BACKENDS, name="loaded")
    def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
        """The rows in a table of each backend, and a project reading them."""
        backend: str = request.param
        root = tmp_path_factory.mktemp(f"{project_name}-{backend}")
        with backend_project(
            backend, request, root, table_prefix, create_sql, rows, spark_fields, project_name, models
        ) as made:
            yield made

    @pytest.fixture(scope="module", name="engine")
    def engine(loaded: Loaded) -> Iterator[Engine]:
        """An engine on the project (PostgreSQL and MariaDB opened through its URL, as a user's are)."""
        with open_engine(loaded) as made:
            yield made

    return loaded, engine

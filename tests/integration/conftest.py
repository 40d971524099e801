"""Fixtures of the integration suite: the dataset loaded into each backend, engines, the reference.

One DuckDB copy per run (in a temporary folder) holds the data the engine reads
and the plain-named views and macros the check SQL reads. PostgreSQL, MariaDB
and Spark get the same rows (see :mod:`.loaders`), and the connection of each is
injected into the engine in place of the project's source URL. Everything here
is session-scoped: the Spark session and the loads happen once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from onpace.catalog.project import Project, load_project

from . import loaders
from .cases import PROJECTS_DIR

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession

    from onpace.engine import Engine


class Reference:
    """Runs check SQL on the DuckDB copy; results are kept, since every backend compares with them."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._results: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}

    def run(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        if sql not in self._results:
            cursor = self._con.cursor()
            try:
                cursor.execute(sql)
                columns = [d[0] for d in cursor.description or ()]
                rows = [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()
            self._results[sql] = (columns, rows)
        return self._results[sql]


@pytest.fixture(scope="session")
def integration_duckdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("integration") / "integration.duckdb"
    loaders.load_duckdb(path)
    return path


@pytest.fixture(scope="session")
def reference(integration_duckdb_path: Path) -> Iterator[Reference]:
    import duckdb

    con = duckdb.connect(str(integration_duckdb_path))
    try:
        yield Reference(con)
    finally:
        con.close()


# One fixture per backend, named '<backend>_backend': an ibis connection to the loaded data.


@pytest.fixture(scope="session")
def duckdb_backend(integration_duckdb_path: Path) -> Iterator[Any]:
    import ibis

    con = ibis.duckdb.connect(str(integration_duckdb_path))
    yield con
    con.disconnect()


# PostgreSQL and MariaDB are opened by onpace's own connect(), from the URL, as a project's
# source is (read-only sessions, onpace's schema lookup), not by a plain ibis connection.


@pytest.fixture(scope="session")
def postgres_backend(pg_url: str) -> Iterator[Any]:
    from onpace.engine.connect import connect

    loaders.load_postgres(pg_url)
    con = connect(pg_url, PROJECTS_DIR)
    yield con
    con.disconnect()


@pytest.fixture(scope="session")
def mysql_backend(mysql_url: str) -> Iterator[Any]:
    from onpace.engine.connect import connect

    loaders.load_mysql(mysql_url)
    con = connect(mysql_url, PROJECTS_DIR)
    yield con
    con.disconnect()


@pytest.fixture(scope="session")
def spark_backend(spark_session: SparkSession) -> Any:
    import ibis

    loaders.load_spark(spark_session)
    # not disconnected here: that would stop the shared session, which tests/conftest.py owns
    return ibis.pyspark.connect(spark_session)


@pytest.fixture(scope="session")
def projects() -> Callable[[str], Project]:
    """``projects(name)``: the project in projects/<name>, loaded once."""
    loaded: dict[str, Project] = {}

    def get(name: str) -> Project:
        if name not in loaded:
            loaded[name] = load_project(PROJECTS_DIR / name)
        return loaded[name]

    return get


EngineFactory = Callable[[str, str, pytest.FixtureRequest], "Engine"]


@pytest.fixture(scope="session")
def engines(projects: Callable[[str], Project]) -> Iterator[EngineFactory]:
    """``engines(project, backend, request)``: an engine over the backend's data, one per pair per run.

    The backend fixture is requested through the test's ``request``, so only the
    backends a run selects are set up (and skipped when their service is missing).
    Closing an engine leaves injected connections open: the backend fixtures own them.
    """
    from onpace.engine import Engine

    made: dict[tuple[str, str], Engine] = {}

    def get(project: str, backend: str, request: pytest.FixtureRequest) -> Engine:
        if (project, backend) not in made:
            con = request.getfixturevalue(f"{backend}_backend")
            made[project, backend] = Engine(projects(project), backends={"warehouse": con})
        return made[project, backend]

    yield get
    for engine in made.values():
        engine.close()

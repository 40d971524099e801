"""Shared fixtures for tests that need real services.

``pg_url``, ``mysql_url`` and ``spark_session`` hand a test a working
PostgreSQL database, MariaDB/MySQL database or Spark session. When one is not
available the test is skipped on a developer's machine and fails under CI
(``CI=true``), so a broken service can never turn the CI run green by skipping.
``make services`` (``scripts/services.sh``) starts the databases.

Tests that use one of these fixtures get the matching marker (``postgres``,
``mysql``, ``spark``) automatically, so ``pytest -m "not spark"`` leaves them out.

The addresses can be overridden with ``ONPACE_TEST_PG_URL`` and
``ONPACE_TEST_MYSQL_URL``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import unquote, urlsplit

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# the test site and the browser, registered once for every test directory
pytest_plugins = ["tests.site_fixtures"]

PG_URL = os.environ.get("ONPACE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("ONPACE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")

CONNECT_TIMEOUT_S = 5

# fixture name -> marker added to every test that uses it
FIXTURE_MARKERS = {"pg_url": "postgres", "mysql_url": "mysql", "spark_session": "spark", "browser": "e2e"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require_or_skip(reason: str) -> NoReturn:
    """Skip the test because ``reason``; under CI (``CI=true``) fail it instead.

    CI must run every test, so a service that is missing there is an error in
    the CI setup, not a reason to skip.
    """
    if in_ci():
        pytest.fail(f"{reason} [CI=true: a missing service fails the test instead of skipping it]", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in fixtures:
                item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of an empty-ish PostgreSQL database ``test`` that tests may write to."""
    import psycopg

    try:
        with psycopg.connect(PG_URL, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            conn.execute("SELECT 1").fetchall()
    except psycopg.Error as exc:
        require_or_skip(f"PostgreSQL is not reachable at {_redact(PG_URL)} ({_first_line(exc)}); run 'make services'")
    return PG_URL


@pytest.fixture(scope="session")
def mysql_url() -> str:
    """URL of a MariaDB/MySQL database ``test`` that tests may write to."""
    import MySQLdb

    parts = urlsplit(MYSQL_URL)
    try:
        conn = MySQLdb.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=parts.path.lstrip("/"),
            connect_timeout=CONNECT_TIMEOUT_S,
        )
    except MySQLdb.Error as exc:
        require_or_skip(
            f"MariaDB/MySQL is not reachable at {_redact(MYSQL_URL)} ({_first_line(exc)}); run 'make services'"
        )
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1")
        cur.fetchall()
    finally:
        conn.close()
    return MYSQL_URL


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One local Spark session for the whole test run (it takes ~20 s to start).

    Created only when a test asks for it; stopped at the end of the run. Tables
    it saves go to a temporary warehouse, not to ``./spark-warehouse``.
    """
    problem = _java_problem()
    if problem:
        require_or_skip(f"Spark needs Java 17 or later: {problem}; 'make install' installs default-jre-headless")

    # Python workers must run this interpreter (the one with pyspark installed).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

    from pyspark.sql import SparkSession

    try:
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("onpace-tests")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "4")
            .config("spark.driver.memory", "2g")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.catalogImplementation", "in-memory")
            .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
            .getOrCreate()
        )
    except Exception as exc:  # noqa: BLE001 - the JVM gateway raises several unrelated types; reported below
        require_or_skip(f"could not start a local Spark session: {_first_line(exc)}")
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()


def _java_problem() -> str | None:
    """Why Spark cannot use the Java on this machine, or None when it can."""
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if java is None:
        return "no 'java' on PATH and no JAVA_HOME"
    if not os.path.exists(java):
        return f"JAVA_HOME={java_home} has no bin/java"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"'{java} -version' failed: {exc}"
    version = _java_major(out.stderr + out.stdout)
    if version is None:
        return None  # unknown format: let Spark decide
    if version < 17:
        return f"found Java {version} at {java}"
    return None


def _java_major(text: str) -> int | None:
    # 'openjdk version "17.0.15" 2025-04-15' / 'java version "1.8.0_392"'
    for line in text.splitlines():
        if "version" in line and '"' in line:
            number = line.split('"')[1]
            head, _, rest = number.partition(".")
            if head == "1":
                head = rest.partition(".")[0]
            return int(head) if head.isdigit() else None
    return None


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


from pathlib import Path  # noqa: E402 - appended with the demo_db fixture below


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company's data (onpace.examples.demo_data), generated once per test session. Read-only: copy it before writing."""
    from onpace.examples.demo_data import generate

    return generate(tmp_path_factory.mktemp("demo") / "demo.duckdb")

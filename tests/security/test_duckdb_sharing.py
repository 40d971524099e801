"""Sources are opened read-only and held no longer than needed (issue 13, item 4).

DuckDB lets many processes read a file, or one process write it. The web app used to open the
TPC-H file read-write on its first live query and keep it: `onpace refresh` then failed every
series, a second worker failed its live queries, and the 502 named the file's absolute path and
the PID holding the lock. These tests run the real thing: `onpace serve --workers 2` and
`onpace refresh` in their own processes on one DuckDB file, a loader holding the file for
writing, and PostgreSQL and MariaDB sessions that refuse writes.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from tests.api.conftest import PASSWORD, Site, settings_for
from tests.e2e.conftest import _free_port
from tests.site_fixtures import new_pg_database

from onpace.catalog.project import load_project
from onpace.engine import Engine
from onpace.engine.connect import connect
from onpace.engine.spine import date_table
from onpace.server import create_app
from onpace.services import auth
from onpace.services.workspace import Workspace
from onpace.store.db import Store

ONPACE = str(Path(sys.executable).with_name("onpace"))
LIVE = "/api/metrics/{metric}/observations"
# live queries (never from the store): a metric by one of its dimensions over a year
QUERIES = [
    ("revenue", "ship_mode"),
    ("orders", "order_priority"),
    ("line_items", "ship_mode"),
    ("return_rate", "ship_mode"),
    ("avg_order_value", "order_priority"),
]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONPACE_")}
    return {**env, "ONPACE_ENVIRONMENT": "development", **extra}


def _live_query(base: str, token: str, i: int) -> httpx.Response:
    metric, by = QUERIES[i % len(QUERIES)]
    return httpx.get(
        base + LIVE.format(metric=metric),
        params={"by": by, "start": "1997-01-01", "end": "1997-12-31"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


def _wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, "onpace serve exited: " + (server.stdout.read() if server.stdout else "")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("onpace serve did not start within 120 s")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served_copy(
    request: pytest.FixtureRequest,
    tpch_site_template: Path,
    tmp_path: Path,
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A copy of the TPC-H site and the environment its processes run with (store: SQLite or PostgreSQL)."""
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    if request.param == "sqlite":
        yield root, _env()
        return
    with new_pg_database(request.getfixturevalue("pg_url"), "onpace_duckdb") as url:
        store = Store.open(url)
        try:
            auth.add_user(store, "admin", PASSWORD, "admin", actor="test")
        finally:
            store.close()
        yield root, _env(ONPACE_DATABASE_URL=url)


def test_serve_with_two_workers_and_a_refresh_share_one_duckdb_file(served_copy: tuple[Path, dict[str, str]]) -> None:
    root, env = served_copy
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [ONPACE, "serve", "--project", str(root), "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    refresh: subprocess.Popen[str] | None = None
    try:
        _wait_until_up(base, server)
        with httpx.Client(base_url=base, timeout=60) as admin:
            login = admin.post("/api/login", json={"name": "admin", "password": PASSWORD})
            assert login.status_code == 200, login.text
            admin.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            made = admin.post("/api/tokens", json={"name": "duckdb sharing"})
            assert made.status_code == 201, made.text
            token = made.json()["token"]
        # every worker has the file open (the old server kept it, read-write, from then on)
        with cf.ThreadPoolExecutor(8) as pool:
            assert all(r.status_code == 200 for r in pool.map(lambda i: _live_query(base, token, i), range(8)))

        refresh = subprocess.Popen(
            [ONPACE, "refresh", "--full", "--project", str(root)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        answers: list[httpx.Response] = []
        rounds = 0
        # rounds of 30 concurrent live queries while the refresh reads the same file (at least two)
        while rounds < 2 or (refresh.poll() is None and rounds < 4):
            with cf.ThreadPoolExecutor(30) as pool:
                answers += pool.map(lambda i: _live_query(base, token, i), range(30))
            rounds += 1
        output, _ = refresh.communicate(timeout=600)
        failed = [(a.status_code, a.text[:300]) for a in answers if a.status_code != 200]
        assert not failed, f"{len(failed)} of {len(answers)} live queries failed: {failed[:3]}"
        for answer in answers:
            assert answer.json()["rows"], answer.text[:300]
        assert refresh.returncode == 0, output
        assert "succeeded" in output and "failed" not in output, output
        with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as api:
            runs = api.get("/api/runs")
            assert runs.status_code == 200, runs.text
            last = runs.json()[0]  # the newest first
            assert last["status"] == "succeeded", last
            assert not last.get("errors"), last
    finally:
        if refresh is not None and refresh.poll() is None:
            refresh.kill()
            refresh.communicate()
        server.terminate()
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


# -- a loader that writes to the file --------------------------------------------------------------

_WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])  # read-write: the company's loader
con.execute("CREATE TABLE IF NOT EXISTS loader_probe (a INTEGER)")
con.execute("INSERT INTO loader_probe VALUES (1)")
print("holding", flush=True)
sys.stdin.readline()
con.close()
"""


def _hold_for_writing(path: Path) -> subprocess.Popen[str]:
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    line = writer.stdout.readline()
    if line.strip() != "holding":
        writer.kill()
        _, error = writer.communicate()
        raise AssertionError("the writer could not open the file: " + error)
    return writer


def _release(writer: subprocess.Popen[str]) -> None:
    assert writer.stdin is not None
    writer.stdin.write("\n")
    writer.stdin.flush()
    writer.communicate(timeout=30)


def test_a_file_another_program_writes_answers_503_without_paths_then_recovers(site: Site) -> None:
    path = site.root / "data" / "tpch.duckdb"
    viewer = site.login("viewer")
    writer = _hold_for_writing(path)
    try:
        api = viewer.get(LIVE.format(metric="revenue"), params={"by": "ship_mode"})
        page = viewer.get(
            "/kpis/quarterly_revenue/breakdown", params={"by": "ship_mode"}, headers={"HX-Request": "true"}
        )
    finally:
        _release(writer)
    assert api.status_code == 503, api.text
    body = api.json()
    assert "locked by another program" in body["detail"] and "data/tpch.duckdb" in body["detail"]
    assert body.get("hint")
    for text in (api.text, page.text):
        assert str(site.root) not in text and str(Path.home()) not in text
        assert "PID" not in text and sys.executable not in text
    assert page.status_code == 503, page.text[:300]
    # the writer is done: the same process reads again
    again = viewer.get(LIVE.format(metric="revenue"), params={"by": "ship_mode"})
    assert again.status_code == 200, again.text
    assert again.json()["rows"]


def test_the_server_lets_go_of_the_file_when_idle(tpch_site_template: Path, tmp_path: Path) -> None:
    """A loader can write to the file once the web app has had no live query for a moment."""
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    workspace = Workspace(root, settings_for(root), source_idle_seconds=0.2)
    try:
        from fastapi.testclient import TestClient

        with TestClient(create_app(workspace)) as client:
            login = client.post("/api/login", json={"name": "viewer", "password": PASSWORD})
            assert login.status_code == 200, login.text
            for _ in range(3):  # the queries of one page reuse the open file
                answer = client.get(LIVE.format(metric="revenue"), params={"by": "ship_mode"})
                assert answer.status_code == 200, answer.text
            time.sleep(1.0)
            writer = _hold_for_writing(root / "data" / "tpch.duckdb")  # fails while the file is held
            _release(writer)
            # the loader added a table and rows: the next query opens the changed file and still works
            answer = client.get(LIVE.format(metric="revenue"), params={"by": "ship_mode"})
            assert answer.status_code == 200, answer.text
    finally:
        workspace.close()


def test_a_duckdb_source_is_opened_read_only(tpch_site_template: Path) -> None:
    project = load_project(tpch_site_template)
    with Engine(project) as engine:
        con = engine.backend(project.default_source)
        with pytest.raises(Exception, match="read-only"):
            con.raw_sql("CREATE TABLE onpace_probe (a INTEGER)")
        # and a second engine (as a refresh would) reads the same file at the same time
        with Engine(project) as other:
            assert other.backend(project.default_source).table("orders").count().execute() > 0
        assert con.table("orders").count().execute() > 0


def test_a_released_file_reopens_with_the_same_answers(tpch_site_template: Path, tmp_path: Path) -> None:
    """Closing the file between queries changes nothing in the answers, whether or not it was written to."""
    import duckdb

    from onpace.engine import Query

    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    query = Query(metrics=["revenue", "orders"], dimensions=["order_priority"], grain="quarter")
    with Engine(load_project(root)) as engine:
        before = engine.query(query)
        engine.release()
        assert not engine.holds_files()
        assert engine.query(query).equals(before)  # unchanged file: what the engine knew is kept
        engine.release()
        with duckdb.connect(str(root / "data" / "tpch.duckdb")) as loader:  # the file is free again
            loader.execute("DELETE FROM orders WHERE o_orderdate >= DATE '1998-01-01'")
        after = engine.query(query)
    # the engine saw the loader's change, its dates too: the data ends in 1997 now, the same before
    assert max(after["period"].to_pylist()) == dt.date(1997, 10, 1)
    early = [r for r in before.to_pylist() if r["period"].year < 1998]
    assert [r for r in after.to_pylist() if r["period"].year < 1998] == early
    assert any(r["orders"] > 0 for r in before.to_pylist() if r["period"].year >= 1998)


# -- PostgreSQL and MariaDB: sessions that refuse writes -------------------------------------------


def _probe_queries(con: object) -> None:
    """A query that needs ibis's temporary tables works, and the session still refuses writes after it."""
    days = date_table("probe", {"day": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3)]})
    got = con.to_pyarrow(days.aggregate(n=days.day.count()))  # type: ignore[attr-defined]
    assert got.to_pylist() == [{"n": 3}]


def test_a_postgres_source_session_refuses_writes(pg_url: str) -> None:
    import psycopg

    schema = f"onpace_ro_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".facts (a integer)')
        conn.execute(f'INSERT INTO "{schema}".facts VALUES (1), (2)')
    con = connect(pg_url, Path("."))
    try:
        assert con.table("facts", database=schema).count().execute() == 2
        _probe_queries(con)
        for sql in (
            f'INSERT INTO "{schema}".facts VALUES (3)',
            f'DELETE FROM "{schema}".facts',
            f'CREATE TABLE "{schema}".other (a integer)',
        ):
            with pytest.raises(Exception, match="read-only transaction"):
                con.raw_sql(sql)
        # a dataset's SQL that tries to write through a data-modifying CTE
        with pytest.raises(Exception):  # noqa: B017 - PostgreSQL refuses it (read-only, or not in a view)
            con.to_pyarrow(con.sql(f'WITH gone AS (DELETE FROM "{schema}".facts RETURNING a) SELECT a FROM gone'))
        # a dataset's SQL that only reads still works (ibis learns its columns from a temporary view)
        assert con.to_pyarrow(con.sql(f'SELECT a FROM "{schema}".facts')).num_rows == 2
        _probe_queries(con)
        with pytest.raises(Exception, match="read-only transaction"):
            con.raw_sql(f'UPDATE "{schema}".facts SET a = 0')
    finally:
        con.disconnect()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            assert conn.execute(f'SELECT count(*) FROM "{schema}".facts').fetchone() == (2,)
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# a MariaDB without time zone tables warns that it keeps its own zone (the data here has none)
@pytest.mark.filterwarnings("ignore:Unable to set session timezone:UserWarning")
def test_a_mysql_source_session_refuses_writes(mysql_url: str) -> None:
    import MySQLdb

    parsed = make_url(mysql_url)
    table = f"onpace_ro_{uuid.uuid4().hex[:12]}"
    admin = MySQLdb.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
        database=parsed.database or "test",
        autocommit=True,
    )
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE TABLE `{table}` (a integer)")
            cursor.execute(f"INSERT INTO `{table}` VALUES (1), (2)")
        con = connect(mysql_url, Path("."))
        try:
            _probe_queries(con)
            for sql in (f"INSERT INTO `{table}` VALUES (3)", f"DELETE FROM `{table}`", "CREATE TABLE other_t (a int)"):
                with pytest.raises(Exception, match="READ ONLY"):
                    con.raw_sql(sql)
            assert con.table(table).count().execute() == 2
        finally:
            con.disconnect()
        with admin.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM `{table}`")
            assert cursor.fetchone() == (2,)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS `{table}`")
        admin.close()

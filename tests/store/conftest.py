"""Fixtures for the store tests: every test runs on SQLite and on PostgreSQL.

``backend`` (one per test module and database) hands out empty databases: a
new SQLite file, or a new schema in a PostgreSQL database created for the
module (``onpace_store_<hex>``, dropped at the end), so that runs of the test
suite that share the server never see each other's tables.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from onpace.config import sqlalchemy_url
from onpace.store import Store
from onpace.store.models import Base

from .backends import Backend


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("store")
        numbers = itertools.count()
        yield Backend("sqlite", lambda: f"sqlite:///{(folder / f'store{next(numbers)}.db').as_posix()}")
        return

    server = request.getfixturevalue("pg_url")  # skips, or fails under CI, without a server
    database = f"onpace_store_{uuid.uuid4().hex[:12]}"
    url = make_url(sqlalchemy_url(server)).set(database=database)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE template0')

    def new_url() -> str:
        schema = f"s_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    try:
        yield Backend("postgresql", new_url)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def empty_store(backend: Backend) -> Iterator[Store]:
    """A store on a new database with no tables."""
    store = Store(backend.new_url())
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="module")
def migrated(backend: Backend) -> Iterator[Store]:
    store = Store.open(backend.new_url())
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def store(migrated: Store) -> Store:
    """A store at the newest schema, with every table empty."""
    with migrated.connection() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return migrated

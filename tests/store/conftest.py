"""Fixtures for the store tests: every test runs on SQLite and on PostgreSQL.

``backend`` (one per test module and database) hands out empty databases: a
new SQLite file, or a new schema in a PostgreSQL database created for the
module (``onpace_store_<hex>``, dropped at the end), so that runs of the test
suite that share the server never see each other's tables.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from onpace.store import Store
from onpace.store.models import Base

from .backends import Backend, pg_backend


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("store")
        numbers = itertools.count()
        yield Backend("sqlite", lambda: f"sqlite:///{(folder / f'store{next(numbers)}.db').as_posix()}")
        return

    server = request.getfixturevalue("pg_url")  # skips, or fails under CI, without a server
    yield from pg_backend(server, "onpace_store")


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

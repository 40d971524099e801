"""Fixtures of the notification tests: a project folder, stores (SQLite and PostgreSQL), receivers.

The stores get their tables from the models (``create_all``): these tests are about delivering,
and the migrations are checked apart (tests/store/test_migrations.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from onpace.config import sqlalchemy_url
from onpace.store import Store
from onpace.store.models import Base

from .receivers import HttpReceiver


def new_sqlite_store(folder: Path) -> Store:
    store = Store(f"sqlite:///{(folder / f'store-{uuid.uuid4().hex[:8]}.db').as_posix()}")
    Base.metadata.create_all(store.engine)
    return store


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = new_sqlite_store(tmp_path)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def pg_store_url(pg_url: str) -> Iterator[str]:
    """A new schema in the test database, with the store's tables; dropped afterwards."""
    schema = f"notify_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(sqlalchemy_url(pg_url)).update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    store = Store(text)
    Base.metadata.create_all(store.engine)
    store.close()
    try:
        yield text
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    found = HttpReceiver().start()
    try:
        yield found
    finally:
        found.stop()

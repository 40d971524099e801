"""The databases the store tests run on."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url

from onpace.config import sqlalchemy_url


@dataclass(frozen=True)
class Backend:
    name: str  # "sqlite" or "postgresql"
    new_url: Callable[[], str]  # the URL of a new, empty database


def pg_backend(server: str, prefix: str) -> Iterator[Backend]:
    """A PostgreSQL database ``<prefix>_<hex>`` made for the caller (dropped at the end); each URL it
    hands out is a new schema in it, so runs that share the server never see each other's tables."""
    database = f"{prefix}_{uuid.uuid4().hex[:12]}"
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

"""SQLAlchemy engines for the store: SQLite (the default) and PostgreSQL.

SQLite gets the settings a store shared by a scheduler, a CLI and a web server
needs: foreign keys enforced, write-ahead logging so readers never wait for the
writer, and a 30 s wait for the write lock instead of an immediate "database is
locked". Its transactions are real ones: onpace emits ``BEGIN IMMEDIATE`` (take
the write lock up front, so a read-then-write transaction cannot fail half way
because another process wrote in between), or ``BEGIN`` plus ``query_only`` for
read-only sessions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from onpace.config import private_to_owner
from onpace.errors import MissingDependencyError, UserError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.pool import ConnectionPoolEntry

SUPPORTED = ("sqlite", "postgresql")
READONLY = "onpace_readonly"  # execution option: a session that promises not to write
CONNECT_TIMEOUT_S = 10
SQLITE_POOL_SIZE = 40  # anyio's default worker-thread limit, which runs the web server's sync routes
SQLITE_BUSY_TIMEOUT = "PRAGMA busy_timeout = 30000"  # wait 30 s for a lock
SQLITE_PRAGMAS = (
    SQLITE_BUSY_TIMEOUT,  # first: switching to WAL may itself wait for a lock
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
)


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("://", 1)[0] + "://…"
    if not password:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def make_engine(url: str, *, private_file: bool = True, **kwargs: Any) -> Engine:
    """An engine for ``url``: a SQLite or PostgreSQL (psycopg) database.

    No connection is made yet. A malformed or unsupported URL is a
    :class:`~onpace.errors.UserError`; a missing driver a
    :class:`~onpace.errors.MissingDependencyError` with the extra to install.
    ``private_file``: make a SQLite file private first (False: the caller did).
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UserError(f"the store URL {redact(url)!r} is not a valid database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise UserError(
            f"the store cannot use {redact(url)!r}: onpace's store runs on SQLite (sqlite:///path/store.db) "
            "or PostgreSQL (postgresql://user@host/db)"
        )
    if backend == "sqlite":
        # a connection to a file is cheap to keep and costs a connect plus the pragmas to open:
        # keep as many as the web server's worker threads may use at once, so that none is
        # closed and reopened under load (the default keeps 5).
        kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
        kwargs.setdefault("max_overflow", SQLITE_POOL_SIZE)
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        if "connect_timeout" not in parsed.query:
            kwargs.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        hint = ' (pip install "onpace[postgres]")' if backend == "postgresql" else ""
        raise MissingDependencyError(f"the driver for {redact(url)!r} is not installed{hint}: {exc}") from exc
    if backend == "sqlite":
        own_file = parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:")
        if private_file and own_file:
            private_sqlite_file(Path(str(parsed.database)))
        _sqlite_events(engine)
    return engine


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL (``sqlite:///path/to/store.db``, as :func:`onpace.config.store_url`
    gives), read as SQLAlchemy reads it; None for any other URL: another database, in memory, a
    ``file:`` URI, a query string or an escaped character (left to SQLAlchemy)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :]
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?#%"):
        return None
    return Path(path)


def private_sqlite_file(path: Path) -> None:
    """Create the store's file readable by its owner only (0600) before SQLite opens it.

    SQLite gives its -wal, -shm and -journal files the mode of the database file,
    so they are private too. An existing file (and its companions) that others may
    read loses that access, with a warning (:func:`onpace.config.private_to_owner`).
    """
    if not path.parent.is_dir():
        return  # SQLite says that it cannot open the file
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600))
    except FileExistsError:
        for companion in ("", "-wal", "-shm", "-journal"):
            private_to_owner(Path(f"{path}{companion}"))
    except OSError:
        return  # a read-only folder: SQLite reports it when it opens the store


def _sqlite_events(engine: Engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # onpace emits BEGIN itself (below); the driver's own transaction
        # handling would leave SELECTs and DDL outside the transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma).fetchall()
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READONLY):
            conn.exec_driver_sql("PRAGMA query_only = ON")
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("PRAGMA query_only = OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")

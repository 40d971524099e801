"""The store: onpace's own database, opened from a URL or a project folder.

::

    store = Store.for_project(root).ensure_current()  # migrated to the newest schema
    with store.session() as s:                         # one transaction
        run_id = runs.start_run(s, "full", "alice")

A session is committed when its block ends and rolled back when it raises.

SQLAlchemy is imported when the store first needs it: on a SQLite store file, the reads of
:mod:`onpace.store.reads` (``store.reader()``) and the check of the schema's revision go to the
``sqlite3`` driver itself, so a command that only reads (``onpace status``) starts without it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote

from onpace.config import sqlalchemy_url, store_url
from onpace.errors import StoreError
from onpace.store.connect import READONLY, SQLITE_BUSY_TIMEOUT, make_engine, private_sqlite_file, redact, sqlite_file
from onpace.store.migrate import VERSION_TABLE, alembic_config, head_revision, known_revisions
from onpace.store.reader import Reader, SessionReader, SqliteReader

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.orm import Session, sessionmaker

    from onpace.config import Settings


class _Engines(NamedTuple):
    engine: Engine
    readonly_engine: Engine
    sessions: sessionmaker[Session]
    readonly_sessions: sessionmaker[Session]


# Held while migrating a PostgreSQL store, so two processes that start at once
# do not both create the tables. Any constant works; this is "onpace" in ASCII.
_MIGRATION_LOCK = 0x6F6E70616365


class Store:
    """onpace's database of definitions, runs, observations, evaluations and history."""

    def __init__(self, url: str) -> None:
        self.url = sqlalchemy_url(url)
        self._sqlite_file = sqlite_file(self.url)
        self._lock = threading.Lock()
        self._engines: _Engines | None = None
        if self._sqlite_file is not None:  # its engine is made when first used; the file now, private
            private_sqlite_file(self._sqlite_file)
        else:
            self._made()  # a malformed URL or a missing driver fails here

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (made on first use)."""
        return self._made().engine

    def _made(self) -> _Engines:
        """The engines and session factories, made once (by the first thread that needs them)."""
        with self._lock:
            if self._engines is None:
                from sqlalchemy.orm import sessionmaker

                engine = make_engine(self.url, private_file=self._sqlite_file is None)  # else made private above
                readonly = engine.execution_options(**{READONLY: True})
                if engine.dialect.name == "postgresql":
                    readonly = readonly.execution_options(postgresql_readonly=True)
                self._engines = _Engines(
                    engine,
                    readonly,
                    sessionmaker(engine, expire_on_commit=False),
                    sessionmaker(readonly, expire_on_commit=False),
                )
            return self._engines

    @classmethod
    def for_project(cls, root: Path, settings: Settings | None = None) -> Store:
        """The store of the project in ``root``: ``ONPACE_DATABASE_URL`` or ``<root>/.onpace/store.db``."""
        return cls(store_url(root, settings))

    @classmethod
    def open(cls, url: str) -> Store:
        """The store at ``url``, migrated to the newest schema if it is behind."""
        return cls(url).ensure_current()

    @property
    def redacted_url(self) -> str:
        return redact(self.url)

    def __repr__(self) -> str:
        return f"Store({self.redacted_url!r})"

    # -- sessions -------------------------------------------------------------
    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """One transaction: committed at the end of the block, rolled back if it raises.

        ``readonly=True`` promises not to write: on SQLite it takes no write
        lock (so it never waits for a refresh that is writing) and on both
        databases a write is refused. On SQLite a writing session holds the
        write lock until it ends, so do not open a second writing session
        while one is open: it would wait for the first (30 s) and fail.
        """
        made = self._made()
        factory = made.readonly_sessions if readonly else made.sessions
        with self._store_failures(), factory.begin() as session:
            self._begin(session.connection)
            yield session

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        """A read-only transaction for the reads in plain SQL (:mod:`onpace.store.reads`).

        On a SQLite store file, on the ``sqlite3`` driver itself (:class:`~onpace.store.reader.SqliteReader`,
        no SQLAlchemy), with what a read-only session has: a 30 s wait for a lock, ``query_only``
        and one transaction; its failures are a :class:`StoreError` as a session's are. Otherwise in
        a read-only session (:class:`~onpace.store.reader.SessionReader`).
        """
        if self._sqlite_file is None:
            with self.session(readonly=True) as s:
                yield SessionReader(s)
            return
        try:
            conn = sqlite3.connect(f"file:{quote(str(self._sqlite_file))}?mode=rw", uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._unreachable_because(_first_line(exc)) from exc
        try:
            try:
                for pragma in (SQLITE_BUSY_TIMEOUT, "PRAGMA query_only = ON", "BEGIN"):
                    conn.execute(pragma).fetchall()
                yield SqliteReader(conn)
                conn.execute("COMMIT")
            except (sqlite3.OperationalError, sqlite3.InterfaceError) as exc:
                raise self._unreachable_because(_first_line(exc)) from exc
        finally:
            conn.close()

    @contextmanager
    def connection(self, *, readonly: bool = False) -> Iterator[Connection]:
        """A Core connection in one transaction (committed at the end, rolled back on error)."""
        with self._store_failures(), self._connect(self._made().readonly_engine if readonly else self.engine) as conn:
            self._begin(conn.begin)
            yield conn
            conn.commit()

    @contextmanager
    def _store_failures(self) -> Iterator[None]:
        """Turn the store's own failures into a :class:`StoreError` (HTTP 503), in one place.

        A full disk (SQLite's "database or disk is full", PostgreSQL's disk_full),
        a lock still held when the wait times out ("database is locked",
        lock_not_available), a lost connection: whether raised by a statement in
        the block or by the commit at its end. The transaction is rolled back
        first. Errors about the data itself (a constraint, an integrity error)
        are not the store's failure and are raised as they are.
        """
        from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            raise self._unreachable(exc) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise self._unreachable(exc) from exc
            raise

    def close(self) -> None:
        """Close every pooled connection. The store can still be used; it reconnects."""
        if self._engines is not None:
            self._engines.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- migrations -----------------------------------------------------------
    def current_revision(self) -> str | None:
        """The schema revision of the database; None when it was never migrated."""
        with self.reader() as r:
            # read alembic's own table directly: importing Alembic costs 0.3 s, paid only to migrate
            if not r.has_table(VERSION_TABLE):
                return None
            found = r.column(f"SELECT version_num FROM {VERSION_TABLE}")
            if len(found) > 1:
                raise StoreError(f"the store at {self.redacted_url} has several schema heads: {sorted(found)}")
            return found[0] if found else None

    def head_revision(self) -> str:
        """The newest schema revision this version of onpace knows."""
        return head_revision()

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the schema up to ``revision`` (the newest by default)."""
        from alembic import command

        self._migrate(lambda conn: command.upgrade(alembic_config(connection=conn), revision))

    def downgrade(self, revision: str) -> None:
        """Migrate the schema down to ``revision`` (``"base"``: no tables left)."""
        from alembic import command

        self._migrate(lambda conn: command.downgrade(alembic_config(connection=conn), revision))

    def ensure_current(self) -> Store:
        """Upgrade to the newest schema when the database is behind; refuse one that is ahead."""
        current = self.current_revision()
        if current == self.head_revision():
            return self
        if current is not None and current not in known_revisions():
            raise StoreError(
                f"the store at {self.redacted_url} has schema revision {current!r}, which this version "
                "of onpace does not know: it was migrated by a newer onpace; upgrade onpace"
            )
        self.upgrade()
        return self

    def _migrate(self, run: Callable[[Connection], None]) -> None:
        """Run ``run`` (an Alembic command) in one transaction, serialised between processes.

        On SQLite, foreign keys are switched off around the transaction and
        checked before it commits (SQLite's own procedure for schema changes):
        Alembic changes a SQLite table by copying it and dropping the old
        one, and with foreign keys on, that drop would cascade, deleting every
        observation of a series table being altered.
        """
        from alembic.util import CommandError

        with self._connect(self.engine) as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                _sqlite_foreign_keys(conn, on=False)
            try:
                self._begin(conn.begin)
                if conn.dialect.name == "postgresql":
                    from sqlalchemy import text

                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
                try:
                    run(conn)
                except CommandError as exc:
                    raise StoreError(f"cannot migrate the store at {self.redacted_url}: {exc}") from exc
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"migrating the store at {self.redacted_url} would break foreign keys "
                            f"(table, row, parent): {[tuple(row)[:3] for row in broken[:5]]}"
                        )
                conn.commit()
            finally:
                if sqlite:
                    if conn.in_transaction():
                        conn.rollback()
                    _sqlite_foreign_keys(conn, on=True)

    # -- connecting -------------------------------------------------------------
    @contextmanager
    def _connect(self, engine: Engine) -> Iterator[Connection]:
        from sqlalchemy.exc import DBAPIError

        try:
            conn = engine.connect()
        except DBAPIError as exc:
            raise self._unreachable(exc) from exc
        with conn:
            yield conn

    def _begin(self, connect: Callable[[], object]) -> None:
        """Connect and begin now, so that an unreachable or locked store is a StoreError."""
        from sqlalchemy.exc import DBAPIError

        try:
            connect()
        except DBAPIError as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: DBAPIError) -> StoreError:
        return self._unreachable_because(str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc))

    def _unreachable_because(self, reason: str) -> StoreError:
        return StoreError(f"cannot use the store at {self.redacted_url}: {reason}", public=public_reason(reason))


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0]


def public_reason(reason: str) -> str:
    """A driver's reason as a web or API client may read it: its kind, never a file, host or URL."""
    low = reason.lower()
    for needles, kind in _PUBLIC_REASONS:
        if any(needle in low for needle in needles):
            return kind
    return "the store (onpace's database) cannot be used right now"


_PUBLIC_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("disk is full", "no space left", "disk full", "could not extend file"), "the store's disk is full"),
    (("read-only", "readonly", "read only"), "the store is read-only"),
    (("locked", "lock timeout", "busy"), "the store is busy (locked by another writer)"),
    (("connection", "connect", "server closed", "terminating"), "the store cannot be reached"),
)


def _sqlite_foreign_keys(conn: Connection, on: bool) -> None:
    # Straight to the driver: through SQLAlchemy the PRAGMA would open a
    # transaction first, and inside one SQLite ignores it.
    driver = conn.connection.driver_connection
    if driver is None:  # pragma: no cover - only after the connection was closed
        raise RuntimeError("the SQLite connection is closed")
    driver.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")

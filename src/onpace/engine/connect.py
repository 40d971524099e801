"""Connections to data sources, by URL, through ibis backends."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import ParseResult, parse_qsl, unquote, unquote_plus, urlparse

import ibis

from onpace.engine.shapes import POSTGRES_OPTIONS
from onpace.errors import BackendError, MissingDependencyError, UserError

_EXTRAS = {"postgres": "postgres", "mysql": "mysql", "pyspark": "spark"}
log = logging.getLogger(__name__)

# onpace only reads its sources, so it opens them read-only: a DuckDB file with read_only=True (many
# processes may then read it at once: the web app's workers and a refresh), PostgreSQL and MySQL
# sessions whose transactions are read-only unless onpace itself asks otherwise (see _ReadOnlySession).
LOCK_WAIT_SECONDS = 1.0
"""How long opening a DuckDB file that another program writes to is retried before giving up."""
_DUCKDB_MEMORY = ("", "//", "///", "///:memory:", ":memory:")
_PG_READ_ONLY = "-c default_transaction_read_only=on"
_LOCK_HOLDER = re.compile(r"\s*Conflicting lock is held in .*?\(PID \d+\)\.?", re.IGNORECASE)


class SourceBusyError(BackendError):
    """A source cannot be opened now because another program holds it (a DuckDB file being written to).

    Worth retrying: it answers 503 (Service Unavailable), not 502.
    """

    status = 503

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.hint = "another program is writing to the source's DuckDB file; try again in a moment"


def dialect_of(url: str) -> str:
    scheme = url.split(":", 1)[0].lower()
    return {
        "postgresql": "postgres",
        "postgres": "postgres",
        "mysql": "mysql",
        "mariadb": "mysql",
        "spark": "pyspark",
        "pyspark": "pyspark",
        "duckdb": "duckdb",
    }.get(scheme, scheme)


def is_duckdb_file(url: str) -> bool:
    """Whether ``url`` names a DuckDB file (which other processes may need), not an in-memory database."""
    return dialect_of(url) == "duckdb" and url.split(":", 1)[1] not in _DUCKDB_MEMORY


def connect(url: str, root: Path, *, lock_wait: float = LOCK_WAIT_SECONDS) -> Any:
    """An ibis backend for ``url``, read-only; relative DuckDB paths are relative to the project ``root``.

    ``lock_wait``: how long to retry a DuckDB file another program writes to (then SourceBusyError).
    """
    dialect = dialect_of(url)
    try:
        if dialect == "duckdb":
            return _duckdb(url, root, lock_wait)
        if dialect == "postgres":
            _require("ibis.backends.postgres", "postgres")
            return _postgres(url)
        if dialect == "mysql":
            _require("ibis.backends.mysql", "mysql")
            return _mysql(url)
        if dialect == "pyspark":
            _require("pyspark", "spark")
            return _spark(url)
    except (UserError, MissingDependencyError, BackendError):
        raise
    except Exception as exc:
        raise BackendError(f"cannot connect to {redact(url)}: {exc}") from exc
    raise UserError(f"unsupported source URL {redact(url)!r}")


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(":" + parsed.password + "@", ":***@")
    return url


def _require(module: str, extra: str) -> None:
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f'this source needs an optional engine that is not installed: pip install "onpace[{extra}]" ({exc})'
        ) from exc


def duckdb_path(url: str, root: Path) -> Path | None:
    """The file of a DuckDB source URL (None for an in-memory database).

    ``duckdb:///relative/file.duckdb`` is relative to the project ``root``,
    ``duckdb:////absolute/file.duckdb`` absolute.
    """
    rest = url.split(":", 1)[1]
    if rest in _DUCKDB_MEMORY:
        return None
    path = Path(rest[3:] if rest.startswith("///") else rest.lstrip("/"))
    return path if path.is_absolute() else root / path


def file_signature(path: Path) -> tuple[int, ...]:
    """What changes when a DuckDB file (or its write-ahead log) is written to: times and sizes."""
    out: list[int] = []
    for each in (path, path.with_name(path.name + ".wal")):
        try:
            stat = each.stat()
            out += [stat.st_mtime_ns, stat.st_size, stat.st_ino]
        except OSError:
            out += [-1, -1, -1]
    return tuple(out)


def _duckdb(url: str, root: Path, lock_wait: float) -> Any:
    path = duckdb_path(url, root)
    if path is None:
        return ibis.duckdb.connect()
    shown = _shown(path, root)  # messages reach API clients: never the server's absolute paths
    if not path.exists():
        raise UserError(f"DuckDB file '{shown}' does not exist (check the source's URL in onpace.yml)")
    import duckdb

    deadline = time.monotonic() + lock_wait
    pause = 0.05
    while True:
        try:
            # read_only: many processes may read the file at once (a writer still excludes everyone).
            # onpace sorts every result itself, so DuckDB need not keep rows in insertion order,
            # which lets its aggregations and joins stream with less memory.
            return ibis.duckdb.connect(str(path), read_only=True, preserve_insertion_order=False)
        except duckdb.Error as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if "could not set lock" not in detail.lower():
                raise BackendError(f"cannot open DuckDB file '{shown}': {_scrub(detail, path, shown)}") from exc
            if time.monotonic() + pause > deadline:
                log.warning("DuckDB file %s is locked by another process: %s", path, detail)
                raise SourceBusyError(
                    f"DuckDB file '{shown}' is locked by another program that writes to it; try again in a moment"
                ) from exc
            time.sleep(pause)
            pause = min(pause * 2, 0.4)


def _shown(path: Path, root: Path) -> str:
    """``path`` as a message may show it: relative to the project, else only its name."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _scrub(text: str, path: Path, shown: str) -> str:
    """A driver's message without the file's absolute path or the process holding its lock."""
    text = _LOCK_HOLDER.sub("", text)
    for full in {str(path), str(path.resolve()), str(path.absolute())}:
        text = text.replace(full, shown)
    return text


def table_names(backend: Any) -> list[str]:
    """The tables and views of a backend's current schema (for a "did you mean").

    ibis 12's ``list_tables`` on DuckDB 2 runs its query with ``execute()`` and then calls a
    method DuckDB 2 removed: it fails and leaves the result unread on the connection, which then
    refuses every other query ("Resource In Use ... unfinished result"). On DuckDB the names are
    read here, to the last row, on a cursor of their own; other backends answer ``list_tables``.
    """
    if getattr(backend, "name", None) != "duckdb":
        return list(backend.list_tables())
    cursor = backend.con.cursor()
    try:
        rows = cursor.sql(
            "SELECT DISTINCT table_name FROM information_schema.tables"
            " WHERE table_catalog = current_database() AND table_schema = current_schema()"
        ).fetchall()
    finally:
        cursor.close()
    return sorted(str(row[0]) for row in rows)


def settle(backend: Any) -> None:
    """Drop a result a failed statement left unread on a DuckDB connection, so the next one runs.

    DuckDB 2 keeps the result of ``execute()`` until it is read to the end, and refuses any other
    statement on that connection meanwhile. Other backends run each statement on a cursor of its own.
    """
    if getattr(backend, "name", None) != "duckdb":
        return
    abort = getattr(getattr(backend, "con", None), "abort", None)
    if callable(abort):
        abort()


def _postgres(url: str) -> Any:
    """A PostgreSQL session whose transactions are read-only by default."""
    from ibis.backends.postgres import Backend

    class ReadOnlyPostgres(_ReadOnlySession, Backend):
        _read_write = "SET default_transaction_read_only = off"
        _read_only = "SET default_transaction_read_only = on"

        def _get_schema_using_query(self, query: str) -> Any:
            # ibis 12's own version creates a temporary view (a write) and drops it with
            # "DROP VIEW IF EXISTS" and no name (a syntax error)
            return postgres_query_schema(self, query)

    parsed = urlparse("postgres://" + url.split("://", 1)[1])
    extra = dict(parse_qsl(parsed.query))
    options = " ".join(o for o in (POSTGRES_OPTIONS, extra.get("options"), _PG_READ_ONLY) if o)
    return ReadOnlyPostgres().connect(**{**_postgres_params(parsed), **extra, "options": options})


def _postgres_params(parsed: ParseResult) -> dict[str, Any]:
    """What ``postgres://user:password@host:port/database[/schema]`` names, as arguments of
    ibis's ``connect`` (read as ibis reads the URL of ``ibis.connect``)."""
    params: dict[str, Any] = {}
    database, *schema = parsed.path[1:].split("/", 1)
    if parsed.username:
        params["user"] = parsed.username
    if parsed.password:
        params["password"] = unquote_plus(parsed.password)
    if parsed.hostname:
        params["host"] = parsed.hostname
    if database:
        params["database"] = database
    if parsed.port:
        params["port"] = parsed.port
    if schema:
        params["schema"] = schema[0]
    return params


def postgres_query_schema(backend: Any, query: str) -> Any:
    """The columns of a query on a PostgreSQL ibis backend, learnt without running it or writing.

    PostgreSQL describes the result of ``SELECT * FROM (query) LIMIT 0`` (each column's type and
    modifier), and names the types itself (``format_type``, as ibis does for a table's columns).
    Works on any ibis PostgreSQL connection, read-only or not.
    """
    body = query.strip().rstrip(";").strip()
    with backend.con.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({body}\n) AS onpace_query LIMIT 0")
        result = cursor.pgresult
        names = [result.fname(i).decode() for i in range(result.nfields)]
        oids = [result.ftype(i) for i in range(result.nfields)]
        mods = [result.fmod(i) for i in range(result.nfields)]
        cursor.execute(
            "SELECT CASE WHEN t.typtype = 'e' THEN 'enum' ELSE pg_catalog.format_type(c.oid, c.mod) END"
            " FROM unnest(%s::oid[], %s::int[]) WITH ORDINALITY AS c(oid, mod, n)"
            " LEFT JOIN pg_catalog.pg_type AS t ON t.oid = c.oid ORDER BY c.n",
            (oids, mods),
        )
        types = [row[0] for row in cursor.fetchall()]
    mapper = backend.compiler.type_mapper
    return ibis.schema({name: mapper.from_string(kind, nullable=True) for name, kind in zip(names, types, strict=True)})


def _mysql(url: str) -> Any:
    """A MySQL/MariaDB session whose transactions are read-only by default."""
    from ibis.backends.mysql import Backend

    class ReadOnlyMySQL(_ReadOnlySession, Backend):
        _read_write = "SET SESSION TRANSACTION READ WRITE"
        _read_only = "SET SESSION TRANSACTION READ ONLY"

    parsed = urlparse(url)
    backend = ReadOnlyMySQL().connect(
        host=parsed.hostname or "localhost",
        port=parsed.port or 3306,
        user=unquote(parsed.username or "root"),
        password=unquote(parsed.password or ""),
        database=(parsed.path or "/").lstrip("/") or None,
    )
    with backend.con.cursor() as cursor:
        cursor.execute(ReadOnlyMySQL._read_only)
    return backend


class _ReadOnlySession:
    """An ibis SQL backend whose session only reads, except for ibis's own temporary tables.

    To run a query ibis first creates temporary tables (the periods and days onpace joins to).
    A read-only transaction may not (PostgreSQL refuses every CREATE and DROP, MariaDB every
    write), so that one step runs with the session's default switched to read-write and back;
    the statements that carry a definition's SQL run read-only, and a write in them fails.
    Temporary tables ibis no longer needs are dropped in the next such step (ibis drops them
    when they are garbage-collected, at any moment and from any thread, which a read-only
    session refuses).
    """

    _read_write: str
    _read_only: str
    con: Any
    dialect: Any
    compiler: Any

    @contextlib.contextmanager
    def _writable(self) -> Iterator[None]:
        with self.con.cursor() as cursor:
            cursor.execute(self._read_write)
        try:
            yield
        finally:
            with self.con.cursor() as cursor:
                cursor.execute(self._read_only)

    def _register_in_memory_table(self, op: Any) -> None:
        with self._writable():
            self._drop_unused()
            super()._register_in_memory_table(op)  # type: ignore[misc]

    def _make_memtable_finalizer(self, name: str) -> Any:
        unused = self.__dict__.setdefault("_unused_memtables", [])
        return lambda: unused.append(name)

    def _drop_unused(self) -> None:
        import sqlglot as sg
        import sqlglot.expressions as sge

        unused: list[str] = self.__dict__.setdefault("_unused_memtables", [])
        while unused:
            name = unused.pop()
            drop = sge.Drop(kind="TABLE", this=sg.table(name, quoted=self.compiler.quoted), exists=True)
            with self.con.cursor() as cursor:
                cursor.execute(drop.sql(self.dialect))


def _spark(url: str) -> Any:
    from pyspark.sql import SparkSession

    master = url.split("://", 1)[1] or "local[2]"
    if not master.startswith("local"):
        master = "spark://" + master
    session = (
        SparkSession.builder.master(master)
        .appName("onpace")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    return ibis.pyspark.connect(session)

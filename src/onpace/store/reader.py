"""Reading the store in plain SQL, through SQLAlchemy or straight from SQLite.

The reading commands of the command line (``onpace status``, ``reviews``, ``runs list``,
``alert list``) each start a fresh process, and importing SQLAlchemy and the store's models was a
third of their start-up (about 200 ms). The reads they make are written once, in SQL that SQLite
and PostgreSQL both run (:mod:`onpace.store.reads`), and a :class:`Reader` runs them:

- :class:`SqliteReader`, on a SQLite store file (:meth:`onpace.store.db.Store.reader`), runs them
  on Python's own ``sqlite3`` module: no SQLAlchemy is imported. Each value is turned into what
  SQLAlchemy gives for its column, by the column's declared type in the database: ``DATE`` a
  date, ``DATETIME`` a timestamp in UTC (:class:`onpace.store.coltypes.UTCDateTime`), ``JSON``
  its value, ``BOOLEAN`` a bool; the rows are plain records with the table's columns as
  attributes. Parameters are written as SQLAlchemy writes them (dates and UTC timestamps as text).
- :class:`SessionReader` runs them in a SQLAlchemy session (the store's other backends, and the
  callers that hold a session): its rows are the store's models, as any read of the session
  gives (``select(Model).from_statement(text(sql))``).

A test reads the same rows both ways and compares every column.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Params = Mapping[str, Any]


class Reader(ABC):
    """Read-only SQL on the store, in one transaction; ``:name`` marks a parameter."""

    @abstractmethod
    def rows(self, table: str, sql: str, params: Params | None = None) -> list[Any]:
        """The rows of ``table`` that ``sql`` selects (all its columns: ``SELECT <table>.* ...``),
        each with the columns as attributes."""

    @abstractmethod
    def column(self, sql: str, params: Params | None = None) -> list[Any]:
        """The first column of each row ``sql`` gives, as the driver gives it (text and numbers only)."""

    @abstractmethod
    def has_table(self, name: str) -> bool:
        """Whether the store has the table ``name``."""


def reader_of(source: Session | Reader) -> Reader:
    """``source`` itself when it is a reader, else a :class:`SessionReader` on the session."""
    return source if isinstance(source, Reader) else SessionReader(source)


def in_list(column: str, name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``column IN (:name_0, :name_1, ...)`` and its parameters (``values`` is not empty)."""
    if not values:
        raise ValueError(f"no values for {column} IN (...)")
    params = {f"{name}_{i}": value for i, value in enumerate(values)}
    return f"{column} IN ({', '.join(':' + key for key in params)})", params


# -- SQLite, without SQLAlchemy ----------------------------------------------------------------------
def _utc(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


#: What a value of each declared type becomes (the types the store's migrations give SQLite).
CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "DATE": dt.date.fromisoformat,
    "DATETIME": _utc,
    "JSON": json.loads,
    "BOOLEAN": bool,
}


def converter(declared: str) -> Callable[[Any], Any] | None:
    """The conversion of a value of a column declared ``declared`` (``VARCHAR(16)``...), None: as given."""
    return CONVERTERS.get(declared.split("(", 1)[0].strip().upper())


def sqlite_parameter(value: Any) -> Any:
    """``value`` as SQLAlchemy binds it on SQLite: a date as ``YYYY-MM-DD``, a timestamp in UTC as
    ``YYYY-MM-DD HH:MM:SS.ffffff`` (:class:`onpace.store.coltypes.UTCDateTime`, which refuses a
    naive one)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store: pass a timezone-aware one")
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class SqliteReader(Reader):
    """A :class:`Reader` on a ``sqlite3`` connection (see the module)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self._converters: dict[str, dict[str, Callable[[Any], Any]]] = {}

    def rows(self, table: str, sql: str, params: Params | None = None) -> list[Any]:
        cursor = self.connection.execute(sql, _bound(params))
        names = [d[0] for d in cursor.description]
        convert = self._converters_of(table)
        out = []
        for row in cursor.fetchall():
            values = {}
            for name, value in zip(names, row, strict=True):
                change = convert.get(name)
                values[name] = value if value is None or change is None else change(value)
            out.append(SimpleNamespace(**values))
        return out

    def column(self, sql: str, params: Params | None = None) -> list[Any]:
        return [row[0] for row in self.connection.execute(sql, _bound(params)).fetchall()]

    def has_table(self, name: str) -> bool:
        found = self.connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return found.fetchone() is not None

    def _converters_of(self, table: str) -> dict[str, Callable[[Any], Any]]:
        known = self._converters.get(table)
        if known is None:
            declared = self.connection.execute("SELECT name, type FROM pragma_table_info(?)", (table,)).fetchall()
            known = {name: change for name, kind in declared if (change := converter(kind)) is not None}
            self._converters[table] = known
        return known


def _bound(params: Params | None) -> dict[str, Any]:
    return {name: sqlite_parameter(value) for name, value in (params or {}).items()}


# -- SQLAlchemy --------------------------------------------------------------------------------------
class SessionReader(Reader):
    """A :class:`Reader` in a SQLAlchemy session: its rows are the store's models (see the module)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def rows(self, table: str, sql: str, params: Params | None = None) -> list[Any]:
        from sqlalchemy import select

        statement = select(_model(table)).from_statement(_text(sql, params))
        return list(self.session.scalars(statement))

    def column(self, sql: str, params: Params | None = None) -> list[Any]:
        return list(self.session.scalars(_text(sql, params)))

    def has_table(self, name: str) -> bool:
        from sqlalchemy import inspect

        return bool(inspect(self.session.connection()).has_table(name))


def _text(sql: str, params: Params | None) -> Any:
    """``sql`` as a SQLAlchemy statement, each parameter bound with its type: a timestamp as
    :class:`~onpace.store.coltypes.UTCDateTime`, a date as ``Date``, others by their Python type."""
    from sqlalchemy import Date, bindparam, text

    from onpace.store.coltypes import UTCDateTime

    binds = []
    for name, value in (params or {}).items():
        kind: Any = None
        if isinstance(value, dt.datetime):
            kind = UTCDateTime()
        elif isinstance(value, dt.date):
            kind = Date()
        binds.append(bindparam(name, value, type_=kind))
    return text(sql).bindparams(*binds)


@functools.cache
def _models() -> dict[str, type[Any]]:
    """The store's model classes by table name, looked up once per process."""
    from onpace.store.models import Base

    return {mapper.local_table.name: mapper.class_ for mapper in Base.registry.mappers}  # type: ignore[attr-defined]


def _model(table: str) -> type[Any]:
    found = _models().get(table)
    if found is None:
        raise ValueError(f"the store has no model of table {table!r}")
    return found
